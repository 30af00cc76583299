using Akka.Actor;

namespace ActorGrid.Transfer.Checkpoints;

// On a host that keeps data (a gateway, which already keeps model blobs): the checkpoint server
// workers copy their checkpoints to, at /user/checkpoints. It stores under <data>/checkpoint-blobs
// (the same folder a worker on the same host uses, so an embedded grid keeps one copy).
public static class DurableCheckpoints
{
    public const string Name = "checkpoints";
    public const string Path = "/user/" + Name;

    public static Props Props(ActorSystem system, string dataDirectory) =>
        CheckpointServer.Props(new CheckpointStore(System.IO.Path.Combine(dataDirectory, "checkpoint-blobs")), CheckpointSettings.From(system));
}
