import YardBlobs
import YardCore
import YardData
import YardS3

/// The proxied artifact store a configuration names, with what else the server needs to know about it.
struct ArtifactStoreSetup: Sendable {
    let proxy: any ArtifactStore
    /// Local folders a run's `file:` location may point into: the artifact folder, none for a bucket.
    let localRoots: [String]
    /// The folder behind the proxy, when it is one (start-up sweeps its stale upload files).
    let folder: LocalArtifactStore?

    /// Opens the folder (creating it) or prepares the bucket's client; nothing is sent to S3 here
    /// (`ServerComponents.checkArtifactStore` does that at start-up).
    init(_ configuration: ServerConfiguration) throws {
        switch try configuration.artifactRoot() {
        case .folder(let path):
            let folder = try LocalArtifactStore(root: path)
            proxy = folder
            localRoots = [path]
            self.folder = folder
        case .s3(let location):
            let client = S3Client(endpoint: try configuration.s3.endpoint(),
                                  credentials: try configuration.s3.requireCredentials(for: location))
            proxy = S3ArtifactStore(client: client, location: location)
            localRoots = []
            folder = nil
        }
    }
}

/// The bucket `--objects s3://…` names, as the remote the server's object cache shares through: the
/// layout a direct `yard data remote add origin s3://…` uses too, so both see the same objects.
func sharedObjectStore(_ configuration: ServerConfiguration) throws -> (any Remote)? {
    guard let location = try configuration.sharedObjectsLocation() else { return nil }
    let client = S3Client(endpoint: try configuration.s3.endpoint(),
                          credentials: try configuration.s3.requireCredentials(for: location))
    return S3Remote(client: client, location: location)
}

extension ServerComponents {
    /// Confirms the artifact store can be used before the server answers: for a bucket, that the endpoint
    /// answers, the bucket exists and the access key id and secret are accepted, failing with an error
    /// that names which of them is wrong. A folder was already opened when the components were built.
    public func checkArtifactStore() async throws {
        if let shared = objects.shared as? S3Remote {
            do {
                try await shared.client.checkBucket(shared.location.bucket)
            } catch let error as YardError {
                throw YardError(error.code, "The object store \(shared.location) cannot be used: \(error.message)")
            }
        }
        guard let bucket = artifacts.proxy as? S3ArtifactStore else { return }
        do {
            try await bucket.checkAccess()
        } catch let error as YardError {
            throw YardError(error.code, "The artifact root \(bucket.location) cannot be used: \(error.message)")
        }
    }
}
