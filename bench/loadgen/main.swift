// Placeholder until the load generator lands (bench/tracking-ingest).
import Histogram
print("yard-loadgen: not built yet")
