using ActorGrid.Transfer.Blobs;

namespace ActorGrid.Transfer.Models;

// Model files, content-addressed: <data>/models/blobs/<sha256>.onnx. Gateways store uploads
// here; workers cache what they fetched here.
public sealed class ModelBlobStore(string dataDirectory) : BlobStore(Path.Combine(dataDirectory, "models"), ".onnx");
