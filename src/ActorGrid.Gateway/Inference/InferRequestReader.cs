using System.Buffers;
using System.Text.Json;

namespace ActorGrid.Gateway.Inference;

// One input as read from JSON: shape and type as given, the "data" numbers still as doubles in a
// buffer rented from the pool (return it with Dispose). Doubles, not floats: JSON numbers were
// always read as double and narrowed to the model's element type afterwards, so a float32 input
// rounds exactly as before and an int64 input keeps its range check.
public sealed class JsonTensor : IDisposable
{
    private double[]? _buffer;

    public long[]? Shape { get; internal set; }

    public string? Type { get; internal set; }

    public bool HasData { get; internal set; }

    public int Count { get; internal set; }

    public ReadOnlySpan<double> Data => _buffer is null ? default : _buffer.AsSpan(0, Count);

    internal void Add(double value)
    {
        if (_buffer is null || Count == _buffer.Length)
        {
            var bigger = ArrayPool<double>.Shared.Rent(Math.Max(1024, Count * 2));
            Data.CopyTo(bigger);
            Return();
            _buffer = bigger;
        }
        _buffer[Count++] = value;
    }

    // A later "data" in the same object replaces the earlier one, as the serializer did.
    internal void ClearData()
    {
        Count = 0;
        HasData = false;
    }

    internal void Reserve(int count)
    {
        if (_buffer is null && count > 0) _buffer = ArrayPool<double>.Shared.Rent(count);
    }

    private void Return()
    {
        if (_buffer is not null) ArrayPool<double>.Shared.Return(_buffer);
        _buffer = null;
    }

    public void Dispose() => Return();
}

// The JSON inference request, read field by field. Inputs keep the order of the document; a
// null input (`"x": null`) is kept as null so the caller can say what it lacks.
public sealed class JsonInferRequest : IDisposable
{
    public Dictionary<string, JsonTensor?>? Inputs { get; internal set; }

    public string? OriginSite { get; internal set; }

    public double? SlaMs { get; internal set; }

    public string? Lane { get; internal set; }

    public void Dispose()
    {
        if (Inputs is null) return;
        foreach (var tensor in Inputs.Values) tensor?.Dispose();
    }
}

// The reason a body is not a valid request, with the JSON path where it went wrong ($.inputs.x.data[3]).
public sealed class InferRequestJsonException(string path, string reason) : Exception(reason)
{
    public string Path { get; } = path;
}

// Reads {"inputs":{"<name>":{"shape":[…],"data":[…],"type":"…"}},"originSite","slaMs","lane"}
// with Utf8JsonReader straight from the request bytes: the numbers go into a pooled buffer with no
// intermediate list, JsonElement or boxing. The rules are those of the gateway's JSON options:
// property names match case-insensitively, unknown properties are errors, numbers must be JSON
// numbers (no strings), no comments, no trailing commas, a later duplicate property wins.
public static class InferRequestReader
{
    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 64,
    };

    // Null when the document is the JSON literal null. Throws InferRequestJsonException otherwise.
    public static JsonInferRequest? Read(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, Options);
        var at = new Cursor(0);
        var request = new JsonInferRequest();
        try
        {
            Next(ref reader, "$");
            if (reader.TokenType == JsonTokenType.Null)
            {
                End(ref reader);
                return null;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
                throw new InferRequestJsonException("$", $"An inference request must be a JSON object, not {Describe(reader.TokenType)}.");
            while (true)
            {
                Next(ref reader, "$");
                if (reader.TokenType == JsonTokenType.EndObject) break;
                var name = reader.GetString()!;
                var path = "$." + name;
                Next(ref reader, path);
                if (Is(name, "inputs"))
                {
                    request.Dispose();
                    request.Inputs = ReadInputs(ref reader, path, utf8, at);
                }
                else if (Is(name, "originSite")) request.OriginSite = ReadString(ref reader, path);
                else if (Is(name, "slaMs")) request.SlaMs = ReadNumber(ref reader, path);
                else if (Is(name, "lane")) request.Lane = ReadString(ref reader, path);
                else
                    throw new InferRequestJsonException(path, $"'{name}' is not a field of an inference request; use inputs, originSite, slaMs and lane.");
            }
            End(ref reader);
            return request;
        }
        catch (JsonException ex)
        {
            request.Dispose();
            // The reader's own syntax errors end with the position; the path is more useful here.
            throw new InferRequestJsonException(ex.Path ?? $"byte {at.Offset + reader.BytesConsumed}", ex.Message.Split(" LineNumber:")[0].TrimEnd());
        }
        catch
        {
            request.Dispose();
            throw;
        }
    }

    // Where the reader's span starts in the body: the data fast path restarts the reader after an array.
    private sealed class Cursor(long offset)
    {
        public long Offset { get; set; } = offset;
    }

    private static Dictionary<string, JsonTensor?>? ReadInputs(ref Utf8JsonReader reader, string path, ReadOnlySpan<byte> utf8, Cursor at)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new InferRequestJsonException(path, $"'inputs' must be an object mapping input names to tensors, not {Describe(reader.TokenType)}.");
        var inputs = new Dictionary<string, JsonTensor?>(StringComparer.Ordinal);
        try
        {
            while (true)
            {
                Next(ref reader, path);
                if (reader.TokenType == JsonTokenType.EndObject) return inputs;
                var name = reader.GetString()!;
                var inputPath = $"{path}.{name}";
                Next(ref reader, inputPath);
                var tensor = ReadTensor(ref reader, inputPath, utf8, at);
                if (inputs.Remove(name, out var earlier)) earlier?.Dispose();
                inputs[name] = tensor;
            }
        }
        catch
        {
            foreach (var t in inputs.Values) t?.Dispose();
            throw;
        }
    }

    private static JsonTensor? ReadTensor(ref Utf8JsonReader reader, string path, ReadOnlySpan<byte> utf8, Cursor at)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new InferRequestJsonException(path, $"An input must be an object with 'shape' and 'data', not {Describe(reader.TokenType)}.");
        var tensor = new JsonTensor();
        try
        {
            while (true)
            {
                Next(ref reader, path);
                if (reader.TokenType == JsonTokenType.EndObject) return tensor;
                var field = reader.GetString()!;
                var fieldPath = $"{path}.{field}";
                Next(ref reader, fieldPath);
                if (Is(field, "data")) ReadData(ref reader, fieldPath, tensor, utf8, at);
                else if (Is(field, "shape")) tensor.Shape = ReadShape(ref reader, fieldPath);
                else if (Is(field, "type")) tensor.Type = ReadString(ref reader, fieldPath);
                else throw new InferRequestJsonException(fieldPath, $"'{field}' is not a field of an input tensor; use shape, data and type.");
            }
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    private static long[]? ReadShape(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new InferRequestJsonException(path, $"'shape' must be an array of integers, not {Describe(reader.TokenType)}.");
        var dims = new List<long>(8);
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndArray) return [.. dims];
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var d))
                throw new InferRequestJsonException($"{path}[{dims.Count}]", $"'shape' must be an array of integers; element {dims.Count} is {Describe(ref reader)}.");
            dims.Add(d);
        }
    }

    private static void ReadData(ref Utf8JsonReader reader, string path, JsonTensor tensor, ReadOnlySpan<byte> utf8, Cursor at)
    {
        tensor.ClearData();
        if (reader.TokenType == JsonTokenType.Null) return;
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new InferRequestJsonException(path, $"'data' must be a flat array of numbers, not {Describe(reader.TokenType)}.");
        tensor.HasData = true;
        // Size the buffer once from the shape when it came first, as it usually does.
        if (tensor.Shape is { } shape && ElementCountOrZero(shape) is > 0 and <= 1 << 24 and var expected) tensor.Reserve((int)expected);
        var start = (int)(at.Offset + reader.BytesConsumed);
        if (TryScanNumbers(utf8, start, tensor) is var end and > 0)
        {
            // Everything up to the closing bracket was well-formed numbers: resume the reader there,
            // in the state it had after '[', so it reads the ']' itself and carries on as usual.
            reader = new Utf8JsonReader(utf8[end..], isFinalBlock: true, reader.CurrentState);
            at.Offset = end;
        }
        else
        {
            tensor.ClearData();
            tensor.HasData = true;
        }
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                tensor.Add(Number(ref reader, path, tensor.Count));
                continue;
            }
            if (reader.TokenType == JsonTokenType.EndArray) return;
            var where = $"{path}[{tensor.Count}]";
            throw new InferRequestJsonException(where, reader.TokenType == JsonTokenType.StartArray
                ? "'data' must be a flat array of numbers in row-major order; nested arrays are not read, the shape says how the numbers fold."
                : $"'data' must hold only numbers; element {tensor.Count} is {Describe(ref reader)}.");
        }
        throw new InferRequestJsonException(path, "The body ends inside 'data'.");
    }

    // The fast path for "data": a hand scan of the bytes after '[' that accepts only what JSON's
    // number grammar allows (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), separated by commas
    // and whitespace. It returns the index of the closing ']', or -1 at the first thing it does not
    // expect (a string, null, a nested array, a trailing comma, a malformed number), and then the
    // tokenizer reads the array again from '[' to report that thing with its exact error. Most of a
    // request's bytes are these numbers, and tokenizing each one costs more than parsing it.
    // Measured against a plain Utf8JsonReader/TryGetDouble loop in one process (Release, 2 cores):
    // a 1x3x320x320 frame as JSON (3.1 MiB) 15-19 ms vs 59-73 ms, 1x3x640x640 (12.5 MiB) 50-87 ms
    // vs 127-283 ms: 2.5-4x, tens of ms of an 80 ms SLA, so it stays.
    // Re-measured for issue 10 (2026-12-02): still 3-4x faster than the plain loop, and 1.5-2x faster
    // than this same scan with Utf8Parser in place of TryParseShort (figures in the revert, git log).
    private static int TryScanNumbers(ReadOnlySpan<byte> s, int i, JsonTensor tensor)
    {
        i = SkipSpace(s, i);
        if (i < s.Length && s[i] == ']') return i;
        while (true)
        {
            var begin = i;
            if (i < s.Length && s[i] == '-') i++;
            if (i >= s.Length) return -1;
            if (s[i] == '0') i++;
            else if ((uint)(s[i] - '1') <= 8) while (++i < s.Length && (uint)(s[i] - '0') <= 9) { }
            else return -1;
            if (i < s.Length && s[i] == '.')
            {
                if (++i >= s.Length || (uint)(s[i] - '0') > 9) return -1;
                while (++i < s.Length && (uint)(s[i] - '0') <= 9) { }
            }
            if (i < s.Length && (s[i] | 0x20) == 'e')
            {
                if (++i < s.Length && s[i] is (byte)'+' or (byte)'-') i++;
                if (i >= s.Length || (uint)(s[i] - '0') > 9) return -1;
                while (++i < s.Length && (uint)(s[i] - '0') <= 9) { }
            }
            var number = s[begin..i];
            if (!TryParseShort(number, out var value)
                && !double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value))
                return -1;
            tensor.Add(value);
            i = SkipSpace(s, i);
            if (i >= s.Length) return -1;
            if (s[i] == ']') return i;
            if (s[i] != ',') return -1;
            i = SkipSpace(s, i + 1);
        }
    }

    private static int SkipSpace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') i++;
        return i;
    }

    private static long ElementCountOrZero(long[] shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d <= 0 || n > (1L << 40) / d) return 0;
            n *= d;
        }
        return n;
    }

    private static double Number(ref Utf8JsonReader reader, string path, int index)
    {
        // Numbers never carry escapes and a contiguous input never splits a token.
        if (!reader.HasValueSequence && TryParseShort(reader.ValueSpan, out var fast)) return fast;
        if (reader.TryGetDouble(out var value)) return value;
        throw new InferRequestJsonException($"{path}[{index}]", $"{System.Text.Encoding.UTF8.GetString(reader.ValueSpan)} is out of range for a number.");
    }

    // Clinger's fast path, as fast_float and .NET's own parser use it: a JSON number with at most
    // 19 significant digits whose mantissa fits in 53 bits and whose decimal exponent is within ±22
    // is m·10^e or m/10^e with both operands exact, so one IEEE multiply or divide rounds it
    // correctly. Anything else (long mantissas, big exponents) goes to the full parser.
    private static readonly double[] PowersOfTen =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    public static bool TryParseShort(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        var i = 0;
        var negative = s[0] == '-';
        if (negative) i++;
        ulong mantissa = 0;
        var digits = 0;
        var exponent = 0;
        for (; i < s.Length && (uint)(s[i] - '0') <= 9; i++)
        {
            if (mantissa == 0 && s[i] == '0') continue;
            if (++digits > 19) return false;
            mantissa = mantissa * 10 + (uint)(s[i] - '0');
        }
        if (i < s.Length && s[i] == '.')
        {
            for (i++; i < s.Length && (uint)(s[i] - '0') <= 9; i++)
            {
                exponent--;
                if (mantissa == 0 && s[i] == '0') continue;
                if (++digits > 19) return false;
                mantissa = mantissa * 10 + (uint)(s[i] - '0');
            }
        }
        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            i++;
            var expNegative = s[i] == '-';
            if (s[i] is (byte)'-' or (byte)'+') i++;
            var e = 0;
            for (; i < s.Length; i++)
            {
                if (e > 1000) return false;
                e = e * 10 + (s[i] - '0');
            }
            exponent += expNegative ? -e : e;
        }
        if (mantissa > 1UL << 53) return false;
        if (mantissa == 0) exponent = 0;
        if (exponent is < -22 or > 22) return false;
        var m = (double)mantissa;
        value = exponent < 0 ? m / PowersOfTen[-exponent] : m * PowersOfTen[exponent];
        if (negative) value = -value;
        return true;
    }

    private static string? ReadString(ref Utf8JsonReader reader, string path) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        _ => throw new InferRequestJsonException(path, $"Expected a string, not {Describe(ref reader)}."),
    };

    private static double? ReadNumber(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var value)) return value;
        throw new InferRequestJsonException(path, $"Expected a number, not {Describe(ref reader)}.");
    }

    private static void Next(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read()) throw new InferRequestJsonException(path, "The body ends before the JSON is complete.");
    }

    // Nothing may follow the request object; the reader itself reports trailing characters.
    private static void End(ref Utf8JsonReader reader)
    {
        if (reader.Read()) throw new InferRequestJsonException("$", "There is more JSON after the request object.");
    }

    private static bool Is(string name, string expected) => string.Equals(name, expected, StringComparison.OrdinalIgnoreCase);

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"the string \"{reader.GetString()}\"",
        JsonTokenType.Number => $"the number {System.Text.Encoding.UTF8.GetString(reader.ValueSpan)}",
        _ => Describe(reader.TokenType),
    };

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
