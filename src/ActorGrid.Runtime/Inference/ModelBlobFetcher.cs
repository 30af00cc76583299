using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using Akka.Actor;

namespace ActorGrid.Runtime.Inference;

// Child of a ModelRunner on a worker that lacks a model's bytes: pulls them chunk by chunk
// from /user/model-blobs on the host that stored them, writes them to a temp file, checks the
// SHA-256 and commits the file to the local blob store. Tells its parent BlobReady or LoadFailed.
public sealed class ModelBlobFetcher : ReceiveActor
{
    private readonly ModelRef _model;
    private readonly ModelBlobStore _store;
    private readonly InferenceSettings _settings;
    private readonly ActorSelection _source;
    private readonly string _temp;
    private FileStream? _file;
    private long _received;

    public ModelBlobFetcher(ModelRef model, ModelBlobStore store, InferenceSettings settings)
    {
        _model = model;
        _store = store;
        _settings = settings;
        _source = Context.ActorSelection(model.StoredBy + ModelBlobServer.Path);
        _temp = store.NewTempFile();

        Receive<ModelBlobChunk>(chunk => chunk.Sha256 == _model.Sha256 && chunk.Offset == _received, chunk =>
        {
            if (chunk.TotalBytes != _model.SizeBytes)
            {
                Fail($"the blob host has {chunk.TotalBytes} bytes for it, the catalog says {_model.SizeBytes}");
                return;
            }
            var length = chunk.Data.Length;
            _file!.WriteAsync(chunk.Data).AsTask().PipeTo(Self, success: () => new Written(length), failure: ex => new Failed("writing the cache: " + ex.Message));
        });
        Receive<Written>(w =>
        {
            _received += w.Bytes;
            if (_received < _model.SizeBytes)
                RequestNext();
            else
                Finish();
        });
        Receive<ModelBlobMissing>(missing => Fail($"the host that stored it answered: {missing.Reason}"));
        Receive<Verified>(v =>
        {
            if (v.Sha256 != _model.Sha256)
            {
                Fail($"the bytes fetched hash to {v.Sha256}, not {_model.Sha256}");
                return;
            }
            var path = _store.Commit(_temp, _model.Sha256);
            Context.Parent.Tell(new ModelRunner.BlobReady(path));
            Context.Stop(Self);
        });
        Receive<Failed>(f => Fail(f.Reason));
        Receive<ReceiveTimeout>(_ => Fail($"no answer from {_model.StoredBy} within {_settings.BlobFetchTimeout.TotalSeconds:0} s"));
    }

    public static Props Props(ModelRef model, ModelBlobStore store, InferenceSettings settings) =>
        Akka.Actor.Props.Create(() => new ModelBlobFetcher(model, store, settings));

    protected override void PreStart()
    {
        _file = new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        Context.SetReceiveTimeout(_settings.BlobFetchTimeout);
        RequestNext();
    }

    protected override void PostStop()
    {
        _file?.Dispose();
        if (File.Exists(_temp)) File.Delete(_temp);
    }

    private void RequestNext() => _source.Tell(new FetchModelBlob(_model.Sha256, _received, _settings.BlobChunkBytes), Self);

    private void Finish()
    {
        var file = _file!;
        var temp = _temp;
        Task.Run(async () =>
        {
            await file.FlushAsync();
            await file.DisposeAsync();
            return new Verified(await ModelBlobStore.HashFileAsync(temp));
        }).PipeTo(Self, failure: ex => new Failed("verifying the download: " + ex.Message));
        _file = null;
    }

    private void Fail(string reason)
    {
        Context.Parent.Tell(new ModelRunner.LoadFailed($"fetching {_model.SizeBytes} bytes from {_model.StoredBy} failed: {reason}"));
        Context.Stop(Self);
    }

    private sealed record Written(int Bytes);

    private sealed record Verified(string Sha256);

    private sealed record Failed(string Reason);
}
