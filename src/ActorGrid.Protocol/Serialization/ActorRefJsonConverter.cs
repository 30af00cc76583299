using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;

namespace ActorGrid.Protocol.Serialization;

// Actor refs travel as their serialized path (with the sending host's address) and resolve
// back through the receiving system's provider, as Akka's own serializers do.
internal sealed class ActorRefJsonConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
{
    public override IActorRef? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var path = reader.GetString();
        return string.IsNullOrEmpty(path) ? ActorRefs.Nobody : system.Provider.ResolveActorRef(path);
    }

    public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
}
