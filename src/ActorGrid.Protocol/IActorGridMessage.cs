namespace ActorGrid.Protocol;

// Root marker: every message or event of ours carries it, and HOCON binds it to
// ActorGridSerializer, so nothing of ours ever falls back to a type-name-handling serializer.
public interface IActorGridMessage;
