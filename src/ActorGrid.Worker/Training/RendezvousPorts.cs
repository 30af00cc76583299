using System.Net;
using System.Net.Sockets;

namespace ActorGrid.Worker.Training;

// Where a training attempt's rank 0 listens (MASTER_PORT): a port from a fixed range
// (actorgrid.worker.rendezvous-ports, 29500-29999 like torchrun's default) that nothing listens on
// now. The range sits below the kernel's ephemeral range (32768-60999 on Linux), for a reason
// found the hard way: a port asked of the kernel (bind to 0, then released) comes from the range
// the kernel also hands to outgoing connections, so on a busy host a client socket could take it
// before rank 0 bound it. Rank 0 then failed with "address already in use" and the other ranks
// waited for it until their rendezvous timed out. A cursor walks the range, so two attempts that
// start together on one host never get the same port even before either has bound it; it starts
// at a random port, so that several worker processes on one machine (tests, a laptop) rarely
// choose the same one at the same moment.
public sealed class RendezvousPorts(int first, int last)
{
    private int _next = Random.Shared.Next(first, last + 1);

    public int First { get; } = first;

    public int Last { get; } = last;

    public static RendezvousPorts Parse(string range)
    {
        var parts = range.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], out var first) || !int.TryParse(parts[1], out var last) || first < 1024 || last > 65535 || first > last)
            throw new ArgumentException($"actorgrid.worker.rendezvous-ports must be \"first-last\" with 1024 <= first <= last <= 65535, was \"{range}\"");
        return new RendezvousPorts(first, last);
    }

    // The next port of the range that no socket on this host is bound to now.
    public int Take()
    {
        for (var tried = 0; tried <= Last - First; tried++)
        {
            var port = _next;
            _next = port == Last ? First : port + 1;
            if (IsFree(port)) return port;
        }
        throw new InvalidOperationException($"every port of actorgrid.worker.rendezvous-ports ({First}-{Last}) is in use on this host");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
