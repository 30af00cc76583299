using Akka.Configuration;

namespace ActorGrid.Hosting;

// The HOCON a host runs with, most specific first: --config, the database from --db, role
// overrides (hocon/roles/<role>.hocon), then the base file hocon/actorgrid.hocon.
public static class GridConfiguration
{
    public static Config Load(GridSettings settings)
    {
        var config = ConfigurationFactory.ParseString(settings.Database.ToHocon());
        if (settings.ExtraConfigFile is { } extra)
            config = ConfigurationFactory.ParseString(File.ReadAllText(extra)).WithFallback(config);
        foreach (var role in settings.Roles.Order())
        {
            var file = Path.Combine(settings.HoconDirectory, "roles", role + ".hocon");
            if (File.Exists(file)) config = config.WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(file)));
        }
        var baseFile = Path.Combine(settings.HoconDirectory, "actorgrid.hocon");
        if (!File.Exists(baseFile))
            throw new FileNotFoundException($"The base configuration {baseFile} is missing; the hocon/ folder ships next to the binary.");
        return config.WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(baseFile)));
    }
}
