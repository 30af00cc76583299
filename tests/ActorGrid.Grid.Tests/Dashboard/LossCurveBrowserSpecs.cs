using System.Net;
using ActorGrid.Grid.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ActorGrid.Grid.Tests.Dashboard;

// The dashboard's training curves in a real browser: a running job's loss series, as the gateway
// stored it, drawn as inline SVG, and gone once the job ends.
[Collection(DashboardGridCollection.Name)]
public sealed class LossCurveBrowserSpecs(DashboardGridFixture grid)
{
    private const float Patience = 90_000;

    [Fact]
    public async Task Should_draw_the_loss_curve_of_a_running_job_and_drop_it_when_the_job_ends()
    {
        await using var browser = await DashboardBrowser.LaunchAsync();
        var page = browser.Context.Pages.Count > 0 ? browser.Context.Pages[0] : await browser.Context.NewPageAsync();
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        await page.GotoAsync(grid.Grid.HttpBase.ToString());
        await page.FillAsync("#signin-token", DashboardGridFixture.AdminToken);
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#conn")).ToHaveAttributeAsync("data-conn", "live", new() { Timeout = Patience });

        // 40 lines at once, then the job keeps running long enough to be drawn.
        var body = Tasks.Shell("""i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo "{\"metrics\":{\"loss\":$((100-i)),\"val_loss\":$((120-i))}}"; done; sleep 8""", maxAttempts: 1);
        var (status, accepted) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, body);
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = Tasks.Id(accepted);

        var figure = page.Locator($"#loss-curves figure[data-task-id='{id}']");
        await Expect(figure).ToHaveAttributeAsync("data-points", "80", new() { Timeout = Patience });
        await Expect(figure.Locator("svg path.line")).ToHaveCountAsync(2);
        await Expect(figure.Locator(".legend .key.c-loss b")).ToHaveTextAsync("60");
        await Expect(figure.Locator(".legend .key.c-val b")).ToHaveTextAsync("80");
        await Expect(figure.Locator("svg text").Last).ToHaveTextAsync("line 40");

        await Expect(figure).ToHaveCountAsync(0, new() { Timeout = Patience });
        Assert.Empty(problems);
    }
}
