using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Inference;

// The model registry and inference endpoints as a client uses them: raw bytes and raw JSON,
// no server types, so the tests break the way a user's script would.
public static class InferenceClient
{
    public static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    public static async Task<(HttpStatusCode Status, JsonNode? Body)> UploadAsync(this ApiClient api, string key, string name, byte[] onnx)
    {
        using var request = ApiClient.Request(HttpMethod.Post, $"/v1/models/{name}", key);
        request.Content = new ByteArrayContent(onnx);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await api.SendAsync(request);
    }

    public static async Task<JsonNode> UploadOkAsync(this ApiClient api, string key, string name, byte[] onnx)
    {
        var (status, body) = await api.UploadAsync(key, name, onnx);
        if (status is not (HttpStatusCode.Created or HttpStatusCode.OK))
            throw new HttpRequestException($"upload of {name} expected 201, got {(int)status}: {body?.ToJsonString()}");
        return body!;
    }

    public static JsonObject Tensor(long[] shape, float[] data) => new()
    {
        ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)JsonValue.Create(d))]),
        ["data"] = new JsonArray([.. data.Select(v => (JsonNode)JsonValue.Create(v))]),
    };

    public static JsonObject Request(string input, long[] shape, float[] data, double? slaMs = null, string? originSite = null)
    {
        var body = new JsonObject { ["inputs"] = new JsonObject { [input] = Tensor(shape, data) } };
        if (slaMs is not null) body["slaMs"] = slaMs;
        if (originSite is not null) body["originSite"] = originSite;
        return body;
    }

    public static Task<(HttpStatusCode Status, JsonNode? Body)> InferAsync(this ApiClient api, string key, string model, JsonObject body) =>
        api.SendJsonAsync(HttpMethod.Post, $"/v1/models/{model}/infer", key, body);

    public static float[] Floats(JsonNode? array) => [.. array!.AsArray().Select(v => v!.GetValue<float>())];

    public static long[] Longs(JsonNode? array) => [.. array!.AsArray().Select(v => v!.GetValue<long>())];

    // What the gateway's audit record must hold for an input: SHA-256 over name, type, shape and
    // the raw little-endian bytes, computed here from the spec rather than the server's code.
    public static string InputDigest(string name, long[] shape, float[] data)
    {
        var header = Encoding.UTF8.GetBytes($"{name}\0float32\0{string.Join(",", shape)}\0");
        return Sha256([.. header, .. MemoryMarshal.AsBytes(data.AsSpan()).ToArray()]);
    }
}
