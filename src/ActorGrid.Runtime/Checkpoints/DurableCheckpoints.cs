using Akka.Actor;

namespace ActorGrid.Runtime.Checkpoints;

// On a host that keeps data (a gateway, which already keeps model blobs): the checkpoint server
// workers copy their checkpoints to. It is the "checkpoints" child of the model blob server, at
// /user/model-blobs/checkpoints, and stores under <data>/checkpoint-blobs (the same folder a worker
// on the same host uses, so an embedded grid keeps one copy).
public static class DurableCheckpoints
{
    public const string ChildName = "checkpoints";
    public const string Path = "/user/model-blobs/" + ChildName;

    public static Props Props(ActorSystem system, string dataDirectory) =>
        CheckpointServer.Props(new CheckpointStore(System.IO.Path.Combine(dataDirectory, "checkpoint-blobs")), CheckpointSettings.From(system));

    // The model store lives at <data>/models/blobs.
    public static string DataDirectoryOf(string modelBlobRoot) =>
        System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(modelBlobRoot)))!;
}
