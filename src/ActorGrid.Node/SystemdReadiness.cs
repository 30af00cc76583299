using Microsoft.Extensions.Hosting.Systemd;

namespace ActorGrid.Node;

// Type=notify units (deploy/systemd/) wait for READY=1. It is sent once, when the first host is
// up and listening, not by UseSystemd's lifetime: that one would also send STOPPING=1 each time
// GridHost stops a host to rebuild it in the same process, and systemd would take the unit as
// going down. Outside systemd (no NOTIFY_SOCKET) this does nothing.
public static class SystemdReadiness
{
    public static void Ready()
    {
        var notifier = new SystemdNotifier();
        if (notifier.IsEnabled) notifier.Notify(ServiceState.Ready);
    }
}
