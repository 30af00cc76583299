using Microsoft.Playwright;

namespace ActorGrid.Grid.Tests.Dashboard;

// A real Chromium for the dashboard specs: Debian's own package (apt-get install chromium, as
// .ci/run does), driven by Playwright's bundled driver. Nothing is downloaded: no
// 'playwright install', a fresh profile per run, and no background traffic.
public sealed class DashboardBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly string _profile;

    private DashboardBrowser(IPlaywright playwright, IBrowserContext context, string profile)
    {
        _playwright = playwright;
        Context = context;
        _profile = profile;
    }

    public IBrowserContext Context { get; }

    public static async Task<DashboardBrowser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing. The dashboard specs drive Debian's chromium: run 'apt-get install -y chromium' (as .ci/run does).");
        var profile = Path.Combine(Path.GetTempPath(), "actorgrid-chromium-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(profile);
        var playwright = await Playwright.CreateAsync();
        try
        {
            // Playwright owns --user-data-dir: a persistent context is how it takes a fresh profile.
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args =
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                ],
                ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
                Timeout = 60_000,
            });
            return new DashboardBrowser(playwright, context, profile);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    // Where screenshots go: beside the test assembly, so CI keeps them with the test output.
    public static string ArtifactsDirectory
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "artifacts", "dashboard");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        _playwright.Dispose();
        try { Directory.Delete(_profile, recursive: true); }
        catch (IOException) { } // chromium may still be letting go of a file; /tmp is fine
    }
}
