using System.Security.Cryptography;

namespace ActorGrid.Transfer.Blobs;

// Files named by their SHA-256: <directory>/blobs/<sha256><extension>, written through
// <directory>/incoming. A file only ever appears under its name by an atomic move after its hash
// was checked, so a present file is a complete, verified one. Model blobs, bundles on gateways and
// the bundle cache on workers are each one of these.
public class BlobStore
{
    private readonly string _extension;

    public BlobStore(string directory, string extension)
    {
        _extension = extension;
        Root = Path.Combine(directory, "blobs");
        Directory.CreateDirectory(Root);
        Incoming = Path.Combine(directory, "incoming");
        Directory.CreateDirectory(Incoming);
    }

    public string Root { get; }

    private string Incoming { get; }

    public static bool IsSha256(string? value) => BlobChunks.IsSha256(value);

    public string PathOf(string sha256) =>
        IsSha256(sha256) ? Path.Combine(Root, sha256 + _extension) : throw new ArgumentException($"'{sha256}' is not a SHA-256 in lower-case hex.");

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

    public static Task<string> HashFileAsync(string file, CancellationToken cancel = default) => BlobChunks.HashFileAsync(file, cancel);

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
