// Placeholder until the S3 client lands.
import YardCore
