using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ActorGrid.Runtime.Tests.Inference.Images;

// Images written pixel by pixel with a minimal PNG encoder of the tests' own (8-bit RGB, filter
// 0, zlib), so what the preprocessor is checked against does not come from its own library.
public static class TestImages
{
    public delegate (byte R, byte G, byte B) Pixel(int x, int y);

    public static byte[] Png(int width, int height, Pixel pixel)
    {
        var raw = new byte[height * (1 + width * 3)];
        for (var y = 0; y < height; y++)
        {
            var row = y * (1 + width * 3);
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                raw[row + 1 + x * 3] = r;
                raw[row + 2 + x * 3] = g;
                raw[row + 3 + x * 3] = b;
            }
        }
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return Frame(width, height, idat.ToArray());
    }

    // A header that claims width×height with a few bytes of pixel data: decoding it for real
    // would need width×height×4 bytes of memory.
    public static byte[] Bomb(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true)) z.Write(new byte[64]);
        return Frame(width, height, idat.ToArray());
    }

    private static byte[] Frame(int width, int height, byte[] idat)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // truecolour RGB
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    // What one pixel becomes, straight from the definition: (v / 255 - mean) / std per channel,
    // in double precision.
    public static float Normalised(byte v, double mean, double std, double scale = 1.0 / 255) => (float)((v * scale - mean) / std);

    // A deterministic test pattern: every pixel differs, every channel differs.
    public static (byte, byte, byte) Pattern(int x, int y) => ((byte)(x * 29 + y * 7), (byte)(x * 3 + y * 41 + 17), (byte)(255 - x * 11 - y * 13));

    // 2×2 blocks of one colour, so a bilinear 2× downscale has one exact answer: the block's colour.
    public static (byte, byte, byte) Blocks(int x, int y) => Pattern(x / 2, y / 2);
}
