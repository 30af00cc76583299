namespace ActorGrid.Protocol;

// Why an actor refused a request, as a reason, not a transport's status code: the gateway alone
// maps a kind to HTTP (Gateway/Http/RejectionStatus). Strings on the wire, so a kind added later
// reads as unknown on an older host instead of as a wrong number.
public static class RejectionKinds
{
    // The request itself cannot be served (inputs that do not fit the model).
    public const string Invalid = "invalid";

    // Nothing by that name or id.
    public const string NotFound = "not-found";

    // It contradicts what already exists (a task id taken, a finished task cancelled).
    public const string Conflict = "conflict";

    // It existed and is gone for good (a deleted model version).
    public const string Gone = "gone";

    // Not now: a limit or a deadline refuses it; later or elsewhere may work.
    public const string Throttled = "throttled";

    // It was accepted and failed while running.
    public const string Failed = "failed";

    // The one asked cannot take it (queue full, model not loadable or undeployed here); another
    // host or a retry may.
    public const string Unavailable = "unavailable";
}
