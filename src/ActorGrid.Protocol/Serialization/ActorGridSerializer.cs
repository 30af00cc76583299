using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;

namespace ActorGrid.Protocol.Serialization;

// System.Text.Json with string manifests from ProtocolManifests. Only the types listed there
// can be read back, so a peer cannot make us construct arbitrary types.
public sealed class ActorGridSerializer : SerializerWithStringManifest
{
    public const int SerializerId = 7311;

    private readonly JsonSerializerOptions _options;

    public ActorGridSerializer(ExtendedActorSystem system) : base(system)
    {
        _options = CreateOptions(new ActorRefJsonConverter(system));
    }

    public override int Identifier => SerializerId;

    public static JsonSerializerOptions CreateOptions(JsonConverter? actorRefConverter = null)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.Converters.Add(new IdJsonConverterFactory());
        if (actorRefConverter is not null) options.Converters.Add(actorRefConverter);
        return options;
    }

    public override string Manifest(object o) => ManifestOf(o);

    // Shared with TensorMessageSerializer: one manifest per type, whichever serializer writes it.
    public static string ManifestOf(object o) =>
        ProtocolManifests.ByType.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType().FullName} has no manifest in ProtocolManifests; add one before sending or persisting it.");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        ProtocolManifests.ByManifest.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, _options)
              ?? throw new SerializationException($"Manifest '{manifest}' decoded to null.")
            : throw new SerializationException($"Unknown manifest '{manifest}': this host does not know that message.");
}
