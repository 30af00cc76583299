using System.Security.Cryptography;

namespace ActorGrid.Transfer.Blobs;

// The file side of chunked blob transfer, shared by every blob server (model files, checkpoints).
public static class BlobChunks
{
    // One remoting frame carries one chunk; the frame limit in HOCON is 4 MiB.
    public const int MaxChunk = 2 * 1024 * 1024;

    public static bool IsSha256(string? value) =>
        value is { Length: 64 } && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    // Reads at most maxBytes from offset; Total is the file's whole length so the reader knows when it is done.
    public static async Task<(long Total, byte[] Data)> ReadAsync(string path, long offset, int maxBytes)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        var total = RandomAccess.GetLength(handle);
        var length = (int)Math.Clamp(total - offset, 0, Math.Clamp(maxBytes, 1, MaxChunk));
        var buffer = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(read), offset + read);
            if (n == 0) break;
            read += n;
        }
        return (total, read == length ? buffer : buffer[..read]);
    }

    public static async Task<string> HashFileAsync(string file, CancellationToken cancel = default)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, cancel)).ToLowerInvariant();
    }
}
