using System.Net;
using System.Net.Sockets;
using ActorGrid.Worker.Training;

namespace ActorGrid.Runtime.Tests.Workers;

// A training attempt's MASTER_PORT comes from a fixed range outside the kernel's ephemeral ports,
// is free when chosen, and is not handed to two attempts in a row.
public sealed class RendezvousPortsSpecs
{
    [Fact]
    public void Should_skip_a_port_of_the_range_that_something_is_bound_to()
    {
        // A small range of ports this machine leaves alone; one of them taken by a listener.
        using var taken = new TcpListener(IPAddress.Any, 0);
        taken.Start();
        var busy = ((IPEndPoint)taken.LocalEndpoint).Port;
        var ports = new RendezvousPorts(busy, busy);
        Assert.Throws<InvalidOperationException>(() => ports.Take());
        taken.Stop();
        Assert.Equal(busy, ports.Take());
    }

    [Fact]
    public void Should_walk_the_range_so_two_attempts_starting_together_get_different_ports()
    {
        var ports = RendezvousPorts.Parse("29500-29999");
        var picked = Enumerable.Range(0, 20).Select(_ => ports.Take()).ToList();
        Assert.All(picked, p => Assert.InRange(p, 29500, 29999));
        Assert.Equal(picked.Count, picked.Distinct().Count());
    }

    [Theory]
    [InlineData("29500")]
    [InlineData("30000-29000")]
    [InlineData("80-90")]
    [InlineData("a-b")]
    public void Should_refuse_a_range_that_is_not_first_dash_last(string range)
    {
        var error = Assert.Throws<ArgumentException>(() => RendezvousPorts.Parse(range));
        Assert.Contains("actorgrid.worker.rendezvous-ports", error.Message);
    }
}
