using Akka.Actor;

namespace ActorGrid.Core.Tenants;

// actorgrid.tenants in HOCON.
public sealed record TenantSettings(int WakeBatch, TimeSpan WakePause, TimeSpan RewakeInterval)
{
    public static TenantSettings From(ActorSystem system)
    {
        var config = system.Settings.Config.GetConfig("actorgrid.tenants");
        return new(
            Math.Max(1, config.GetInt("wake-batch", 200)),
            config.GetTimeSpan("wake-pause", TimeSpan.FromMilliseconds(200)),
            config.GetTimeSpan("rewake-interval", TimeSpan.FromSeconds(60)));
    }
}
