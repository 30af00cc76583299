using Akka.Actor;

namespace ActorGrid.Transfer.Blobs;

// What one download needs to know: which blob, where from, how to ask for a chunk and how to read
// the answer (each kind of blob has its own messages), and what to tell the parent at the end.
// Done gets the verified temp file and returns the parent's message (after committing the file);
// Failed gets the reason.
public sealed record BlobDownloadSpec(
    string Sha256,
    long SizeBytes,
    string From,
    string TempFile,
    int ChunkBytes,
    TimeSpan Timeout,
    Func<long, int, object> Request,
    Func<object, BlobAnswer?> Read,
    Func<string, object> Done,
    Func<string, object> Failed);

public abstract record BlobAnswer
{
    public sealed record Chunk(long Offset, long TotalBytes, byte[] Data) : BlobAnswer;

    public sealed record Missing(string Reason) : BlobAnswer;
}

// A child that pulls one blob chunk by chunk from an actor on another host into a temp file,
// checks the SHA-256 of the whole and tells its parent Done or Failed, then stops. Every write
// and the hash run off the actor thread and come back as messages; silence for longer than the
// timeout fails the download. Model fetches and checkpoint restores both use it.
public sealed class BlobDownload : ReceiveActor
{
    private readonly BlobDownloadSpec _spec;
    private readonly ActorSelection _source;
    private FileStream? _file;
    private long _received;

    public BlobDownload(BlobDownloadSpec spec)
    {
        _spec = spec;
        _source = Context.ActorSelection(spec.From);

        Receive<Written>(w =>
        {
            _received += w.Bytes;
            if (_received < _spec.SizeBytes)
                RequestNext();
            else
                Finish();
        });
        Receive<Verified>(v =>
        {
            if (v.Sha256 != _spec.Sha256)
            {
                Fail($"the bytes fetched hash to {v.Sha256}, not {_spec.Sha256}");
                return;
            }
            Context.Parent.Tell(_spec.Done(_spec.TempFile));
            Context.Stop(Self);
        });
        Receive<Failed>(f => Fail(f.Reason));
        Receive<ReceiveTimeout>(_ => Fail($"no answer from {_spec.From} within {_spec.Timeout.TotalSeconds:0} s"));
        ReceiveAny(OnAnswer);
    }

    public static Props Props(BlobDownloadSpec spec) => Akka.Actor.Props.Create(() => new BlobDownload(spec));

    protected override void PreStart()
    {
        _file = new FileStream(_spec.TempFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        Context.SetReceiveTimeout(_spec.Timeout);
        if (_spec.SizeBytes == 0)
            Finish();
        else
            RequestNext();
    }

    // Done's handler moved the file away; anything still here is an unfinished or rejected download.
    protected override void PostStop()
    {
        _file?.Dispose();
        if (File.Exists(_spec.TempFile)) File.Delete(_spec.TempFile);
    }

    private void OnAnswer(object message)
    {
        switch (_spec.Read(message))
        {
            case BlobAnswer.Chunk chunk when chunk.Offset == _received:
                if (chunk.TotalBytes != _spec.SizeBytes)
                {
                    Fail($"the holder has {chunk.TotalBytes} bytes for it, {_spec.SizeBytes} were expected");
                    return;
                }
                var length = chunk.Data.Length;
                _file!.WriteAsync(chunk.Data).AsTask().PipeTo(Self, success: () => new Written(length), failure: ex => new Failed("writing it: " + ex.Message));
                break;
            case BlobAnswer.Chunk:
                break; // a late duplicate of a chunk already written
            case BlobAnswer.Missing missing:
                Fail($"the holder answered: {missing.Reason}");
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void RequestNext() => _source.Tell(_spec.Request(_received, _spec.ChunkBytes), Self);

    private void Finish()
    {
        var file = _file!;
        var temp = _spec.TempFile;
        Task.Run(async () =>
        {
            await file.FlushAsync();
            await file.DisposeAsync();
            return new Verified(await BlobChunks.HashFileAsync(temp));
        }).PipeTo(Self, failure: ex => new Failed("verifying the download: " + ex.Message));
        _file = null;
    }

    private void Fail(string reason)
    {
        Context.Parent.Tell(_spec.Failed(reason));
        Context.Stop(Self);
    }

    private sealed record Written(int Bytes);

    private sealed record Verified(string Sha256);

    private sealed record Failed(string Reason);
}
