using System.Net;
using ActorGrid.Grid.Tests.Inference;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ActorGrid.Grid.Tests.Dashboard;

// The dashboard in a real browser against a live embedded grid: what an operator does first.
[Collection(DashboardGridCollection.Name)]
public sealed class DashboardBrowserSpecs(DashboardGridFixture grid, ITestOutputHelper output)
{
    // How long the page may take to show what the grid did; a bound for a stuck test, not a timing check.
    private const float Patience = 90_000;

    [Fact]
    public async Task Should_sign_in_see_the_local_node_and_watch_a_submitted_task_reach_succeeded_without_a_reload()
    {
        var nodeId = await OperatorViews.LocalNodeIdAsync(grid.Api, TimeSpan.FromSeconds(90));
        Assert.Equal(DashboardGridFixture.NodeId, nodeId);
        await using var browser = await DashboardBrowser.LaunchAsync();
        var page = browser.Context.Pages.Count > 0 ? browser.Context.Pages[0] : await browser.Context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console: {message.Text}"); };
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        var loads = 0;
        page.Load += (_, _) => loads++;

        await page.GotoAsync(grid.Grid.HttpBase.ToString());
        await Expect(page.Locator("#signin-token")).ToBeVisibleAsync();

        // A wrong token is refused on the page, with a sentence that says what to use instead.
        await page.FillAsync("#signin-token", "not-the-operator-token");
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#signin-error")).ToContainTextAsync("not accepted", new() { Timeout = Patience });
        await Expect(page.Locator("#app")).ToBeHiddenAsync();
        problems.RemoveAll(p => p.Contains("401", StringComparison.Ordinal)); // the browser logs the refused POST itself

        await page.FillAsync("#signin-token", DashboardGridFixture.AdminToken);
        await page.ClickAsync("#signin-submit");
        await Expect(page.Locator("#conn")).ToHaveAttributeAsync("data-conn", "live", new() { Timeout = Patience });
        Assert.Equal(DashboardGridFixture.AdminToken, await page.EvaluateAsync<string>("() => sessionStorage.getItem('actorgrid.operatorToken')"));

        var node = page.Locator($".node[data-node-id='{nodeId}']");
        await Expect(node).ToBeVisibleAsync(new() { Timeout = Patience });
        await Expect(node).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = Patience });
        await Expect(node.Locator(".bar-row").First).ToContainTextAsync("CPU");
        await Expect(page.Locator("#members tbody tr")).ToHaveCountAsync(1, new() { Timeout = Patience });
        await Expect(page.Locator("#members tbody")).ToContainTextAsync("up");
        // No spec of this collection runs inference: the chart says so instead of drawing a zero.
        await Expect(page.Locator("#chart-inference")).ToHaveAttributeAsync("data-available", "false");
        await Expect(page.Locator("#chart-inference")).ToContainTextAsync("No inference yet");
        await Shoot(page, "01-signed-in");

        var body = Tasks.Shell("echo '{\"progress\":0.5}'; sleep 1; echo calibrated");
        body["lane"] = "realtime";
        var (status, accepted) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, body);
        Assert.Equal(HttpStatusCode.Accepted, status);
        var taskId = Tasks.Id(accepted);

        var row = page.Locator($"#tasks tr[data-task-id='{taskId}']");
        await Expect(row).ToBeVisibleAsync(new() { Timeout = Patience });
        await Expect(row).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = Patience });
        await Expect(row.Locator("td.state")).ToHaveTextAsync("succeeded");
        await Expect(row).ToContainTextAsync(nodeId);
        await Expect(row).ToContainTextAsync("acme");
        await Expect(page.Locator($"#decisions tr[data-task-id='{taskId}'][data-placed='yes']").First).ToContainTextAsync(nodeId, new() { Timeout = Patience });

        // The counts come with the next summary: the realtime lane now holds a succeeded task.
        await Expect(page.Locator("#counts tr[data-lane='realtime'] td[data-state='succeeded']")).Not.ToHaveTextAsync("0", new() { Timeout = Patience });
        await page.FillAsync("#task-filter", taskId);
        await Expect(page.Locator("#tasks tbody tr")).ToHaveCountAsync(1);
        await page.FillAsync("#task-filter", "");
        // The node's descriptor reports 62% green in every hour: the work placed on it is 62% green.
        var green = page.Locator("#chart-green");
        await Expect(green).ToHaveAttributeAsync("data-available", "true", new() { Timeout = Patience });
        await Expect(green.Locator(".legend b")).ToHaveTextAsync($"{DashboardGridFixture.GreenShare * 100:0}%", new() { Timeout = Patience });
        await Expect(green.Locator("svg circle")).ToHaveCountAsync(1);
        await Shoot(page, "02-task-succeeded");

        // A few inferences: the worker publishes their p99 and the chart draws it.
        await grid.Api.UploadOkAsync(grid.AcmeKey, "affine", TestModels.Elementwise());
        for (var i = 0; i < 5; i++)
        {
            var (inferred, _) = await grid.Api.InferAsync(grid.AcmeKey, "affine", InferenceClient.Request("x", [2, 4], [0, 1, -2.5f, 10, 0.25f, -1, 3, i], slaMs: 5000));
            Assert.Equal(HttpStatusCode.OK, inferred);
        }
        var inference = page.Locator("#chart-inference");
        await Expect(inference).ToHaveAttributeAsync("data-available", "true", new() { Timeout = Patience });
        await Expect(inference.Locator(".legend b")).ToContainTextAsync("ms", new() { Timeout = Patience });
        await Expect(inference.Locator("svg path.line")).ToHaveCountAsync(1, new() { Timeout = Patience });
        using (var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = grid.Grid.HttpBase })
        {
            var metrics = await OperatorViews.ScrapeUntilAsync(http,
                m => m.Samples.Any(x => x.Name == "actorgrid_inference_p99_seconds" && x.Labels["node"] == nodeId), TimeSpan.FromSeconds(30), "the inference p99 of the local node");
            var p99 = Assert.Single(metrics.Samples, x => x.Name == "actorgrid_inference_p99_seconds");
            Assert.Equal(InferenceClient.Sha256(TestModels.Elementwise()), p99.Labels["model"]);
            Assert.InRange(p99.Value, 1e-7, 5);
            Assert.Equal("gauge", metrics.Types["actorgrid_inference_p99_seconds"]);
        }
        await Shoot(page, "03-green-and-inference");

        Assert.Equal("succeeded", Tasks.State(await grid.Api.GetTaskAsync(grid.AcmeKey, taskId)));
        Assert.Equal(1, loads); // everything above arrived over the stream: the page never reloaded
        Assert.Empty(problems);
    }

    private async Task Shoot(IPage page, string name)
    {
        var path = Path.Combine(DashboardBrowser.ArtifactsDirectory, $"{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }
}
