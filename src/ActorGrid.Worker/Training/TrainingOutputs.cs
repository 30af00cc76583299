using ActorGrid.Protocol.Models;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Inference;

namespace ActorGrid.Worker.Training;

// Takes a training attempt's output file out of its sandbox before the sandbox is removed: checks
// that it is a plain file inside the attempt's output directory (not a link the tenant planted to
// one of the node's files), copies it into this host's model blob store under its SHA-256 and opens
// it with ONNX Runtime for its signature, exactly as an upload is checked. Runs off the actor thread.
public sealed class TrainingOutputs(ModelBlobStore store, OnnxSessionFactory sessions, long maxBytes)
{
    public sealed record Staged(string Sha256, long SizeBytes, ModelSignature Signature);

    public ModelBlobStore Store => store;

    // Staged, or the sentence that says why the output cannot become a model version.
    public async Task<(Staged? Output, string? Problem)> StageAsync(string outputDirectory, string file, string seenAs)
    {
        var path = Path.Combine(outputDirectory, file);
        var shown = $"{seenAs.TrimEnd('/')}/{file}";
        var info = new FileInfo(path);
        if (!info.Exists) return (null, $"the task succeeded but left no {shown} (its ACTORGRID_OUTPUT_DIR/{file}), so there is no model to register");
        if (info.LinkTarget is not null || (info.Attributes & FileAttributes.ReparsePoint) != 0)
            return (null, $"{shown} is a symbolic link; write the model file itself into ACTORGRID_OUTPUT_DIR");
        if (info.Length == 0) return (null, $"{shown} is empty; write the ONNX model's bytes into it");
        if (info.Length > maxBytes) return (null, $"{shown} is {info.Length} bytes, more than the {maxBytes} bytes a model may have (actorgrid.inference.max-model-bytes)");
        (string TempFile, string Sha256, long Size)? received;
        await using (var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.Asynchronous }))
            received = await store.ReceiveAsync(stream, maxBytes, CancellationToken.None).ConfigureAwait(false);
        if (received is not { } blob) return (null, $"{shown} is larger than {maxBytes} bytes");
        ModelSignature signature;
        try
        {
            using var session = sessions.Open(blob.TempFile);
            signature = LoadedModel.ReadSignature(session);
        }
        catch (Exception ex) when (ex is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or InvalidOperationException or ArgumentException)
        {
            File.Delete(blob.TempFile);
            return (null, $"{shown} is not a valid ONNX model: ONNX Runtime could not open it: {ex.Message}");
        }
        store.Commit(blob.TempFile, blob.Sha256);
        return (new Staged(blob.Sha256, blob.Size, signature), null);
    }
}
