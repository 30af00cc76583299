using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorGrid.Protocol.Serialization;

// Ids serialize as plain strings ("t-1a2b"), not as {"value": "..."} objects.
public sealed class IdJsonConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert == typeof(TaskId) || typeToConvert == typeof(TenantId) || typeToConvert == typeof(NodeId);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        typeToConvert == typeof(TaskId) ? new IdConverter<TaskId>(s => new TaskId(s), id => id.Value)
        : typeToConvert == typeof(TenantId) ? new IdConverter<TenantId>(s => new TenantId(s), id => id.Value)
        : new IdConverter<NodeId>(s => new NodeId(s), id => id.Value);

    private sealed class IdConverter<T>(Func<string, T> create, Func<T, string> value) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            create(reader.GetString() ?? throw new JsonException("An id must be a string."));

        public override void Write(Utf8JsonWriter writer, T id, JsonSerializerOptions options) => writer.WriteStringValue(value(id));
    }
}
