using System.Net;
using System.Net.Sockets;

namespace ActorGrid.Grid.Tests.Infrastructure;

/// <summary>
/// Loopback ports for the Akka and HTTP endpoints of test hosts. Tests run in
/// parallel and beside other software, so fixed ports would collide.
/// </summary>
public static class FreePorts
{
    // The OS hands out ephemeral ports in sequence, but a port we released can
    // still be handed to us again before the node binds it; remembering what we
    // gave out keeps two hosts of one test run from getting the same number.
    private static readonly HashSet<int> Issued = new();
    private static readonly object Gate = new();

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago and not issued before in this run.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Issued.Add(port))
                    return port;
            }
            throw new InvalidOperationException("Could not find a free loopback TCP port in 100 attempts.");
        }
    }

    /// <summary>Several distinct free ports at once, e.g. for the hosts of one grid.</summary>
    public static int[] Next(int count) => Enumerable.Range(0, count).Select(_ => Next()).ToArray();
}
