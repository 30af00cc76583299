using System.Security.Cryptography;

namespace ActorGrid.Transfer.Models;

// Model files, content-addressed: <data>/models/blobs/<sha256>.onnx. Gateways store uploads
// here; workers cache what they fetched here. A file only ever appears under its name by an
// atomic move after its hash was checked, so a present file is a complete, verified one.
public sealed class ModelBlobStore
{
    public ModelBlobStore(string dataDirectory)
    {
        Root = Path.Combine(dataDirectory, "models", "blobs");
        Directory.CreateDirectory(Root);
        Incoming = Path.Combine(dataDirectory, "models", "incoming");
        Directory.CreateDirectory(Incoming);
    }

    public string Root { get; }

    private string Incoming { get; }

    public static bool IsSha256(string? value) =>
        value is { Length: 64 } && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public string PathOf(string sha256) =>
        IsSha256(sha256) ? Path.Combine(Root, sha256 + ".onnx") : throw new ArgumentException($"'{sha256}' is not a SHA-256 in lower-case hex.");

    public bool Has(string sha256) => IsSha256(sha256) && File.Exists(PathOf(sha256));

    public string NewTempFile() => Path.Combine(Incoming, Guid.NewGuid().ToString("n") + ".part");

    // Moves a verified temp file into place. Another writer may have stored the same bytes
    // meanwhile; then ours is simply dropped.
    public string Commit(string tempFile, string sha256)
    {
        var target = PathOf(sha256);
        try
        {
            File.Move(tempFile, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(tempFile);
        }
        return target;
    }

    public static async Task<string> HashFileAsync(string file, CancellationToken cancel = default)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, cancel)).ToLowerInvariant();
    }

    // Streams a body into a temp file, hashing on the way, stopping at maxBytes.
    public async Task<(string TempFile, string Sha256, long Size)?> ReceiveAsync(Stream body, long maxBytes, CancellationToken cancel)
    {
        var temp = NewTempFile();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await body.ReadAsync(buffer, cancel)) > 0)
            {
                size += read;
                if (size > maxBytes)
                {
                    await file.DisposeAsync();
                    File.Delete(temp);
                    return null;
                }
                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancel);
            }
        }
        return (temp, Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), size);
    }
}
