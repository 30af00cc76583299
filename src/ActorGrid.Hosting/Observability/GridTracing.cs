using System.Diagnostics;

namespace ActorGrid.Hosting.Observability;

// The one ActivitySource every room's spans come from. A span's parent crosses Akka remoting as a
// W3C traceparent string on the message (SubmitTask, RequestPlacement, StartTaskRun, RunInference):
// the actor starts its span from it and keeps it while the work lasts, which may be many messages.
// With no listener (no exporter configured) nothing is created and every call here is a null check.
public static class GridTracing
{
    public const string SourceName = "ActorGrid";

    public static readonly ActivitySource Source = new(SourceName);

    // What to put in a message's TraceParent: the span running here now, if it is recorded.
    public static string? CurrentParent => Activity.Current is { Recorded: true } current ? current.Id : null;

    // A span for work an actor carries across messages. It is never left as Activity.Current: the
    // next message this thread handles is not its child. A missing or unreadable traceparent
    // starts a new trace only when asked to (rootIfNone); otherwise there is no span.
    public static Activity? Start(string name, string? traceParent, ActivityKind kind = ActivityKind.Internal, bool rootIfNone = false)
    {
        if (!Source.HasListeners()) return null;
        var hasParent = ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent);
        if (!hasParent && !rootIfNone) return null;
        var previous = Activity.Current;
        var span = Source.StartActivity(name, kind, hasParent ? parent : default);
        Activity.Current = previous;
        return span;
    }

    // A child of a span this host holds.
    public static Activity? StartChild(string name, Activity? parent, ActivityKind kind = ActivityKind.Internal) =>
        parent is null ? null : Start(name, parent.Id, kind);
}
