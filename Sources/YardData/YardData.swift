/// Data versioning: hashing, manifests, the local cache, pointer files and remotes.
public enum YardData {}
