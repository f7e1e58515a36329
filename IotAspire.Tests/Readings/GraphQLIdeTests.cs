using IotAspire.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IotAspire.Tests.Readings;

/// <summary>Banana Cake Pop at /graphql, used as a customer would: paste a token into its headers, run a query.</summary>
[Collection(AppHostCollection.Name)]
public sealed class GraphQLIdeTests(AppHostFixture fixture)
{
    [Fact]
    public async Task The_IDE_loads_at_graphql_and_runs_an_authenticated_query_without_calling_any_other_host()
    {
        var apiUrl = fixture.AppHost.App.GetEndpoint(ResourceNames.Api, "http").ToString().TrimEnd('/');
        var token = await new TokenServiceClient(fixture.AppHost).AdminAccessTokenAsync();
        var foreignRequests = new List<string>();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        // The IDE's service worker reloads the page once it has cached itself, and when that reload lands
        // depends on the machine's speed: the test blocks the worker and asks for the schema itself.
        var page = await browser.NewPageAsync(new()
        {
            ViewportSize = new() { Width = 1400, Height = 900 },
            ServiceWorkers = ServiceWorkerPolicy.Block,
        });
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(apiUrl, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                foreignRequests.Add(request.Url);
            }
        };

        // The IDE's answer is read off the wire: its editors render lazily, the network does not.
        var answered = new TaskCompletionSource<(string? Authorization, string Body)>();
        page.Response += async (_, response) =>
        {
            if (response.Request.Method == "POST" && response.Url.StartsWith(apiUrl + "/graphql", StringComparison.Ordinal)
                && (response.Request.PostData ?? "").Contains("readingCount") && response.Status == 200)
            {
                answered.TrySetResult((await response.Request.HeaderValueAsync("authorization"), await response.TextAsync()));
            }
        };

        await page.GotoAsync(apiUrl + "/graphql");
        await page.GetByText("Create Document").ClickAsync();
        var request = page.Locator(".monaco-editor").First;
        await request.WaitForAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "HTTP Headers" }).ClickAsync();
        await page.GetByPlaceholder("Name").First.FillAsync("Authorization");
        await page.GetByPlaceholder("Name").First.PressAsync("Enter");
        await page.GetByPlaceholder("Value").First.FillAsync("Bearer " + token);
        // With the token in place the IDE can introspect the schema once asked to (Ctrl+Alt+R, "Reload Schema").
        var schemaAvailable = page.GetByText("Schema available");
        for (var attempt = 0; attempt < 6 && !await schemaAvailable.IsVisibleAsync(); attempt++)
        {
            await request.ClickAsync();
            await page.Keyboard.PressAsync("Control+Alt+R");
            await WaitQuietlyAsync(schemaAvailable);
        }
        await schemaAvailable.WaitForAsync(new() { Timeout = 5_000 });

        // The IDE may still be settling after introspection and drop the first input: run only once the
        // editor shows the query, and type it again while it does not.
        for (var attempt = 0; attempt < 8 && !answered.Task.IsCompleted; attempt++)
        {
            await request.ClickAsync();
            await page.Keyboard.PressAsync("Control+A");
            await page.Keyboard.InsertTextAsync("query { devices { id readingCount } }");
            if (await WaitQuietlyAsync(request.Locator(".view-lines", new() { HasText = "readingCount" })))
            {
                await page.Keyboard.PressAsync("Control+Alt+Enter");
                await Task.WhenAny(answered.Task, Task.Delay(TimeSpan.FromSeconds(5)));
            }
        }

        Assert.True(answered.Task.IsCompleted, "the IDE never sent the query");
        var (authorization, body) = await answered.Task;
        Assert.Equal("Bearer " + token, authorization);
        Assert.Contains("\"devices\"", body);
        Assert.Empty(foreignRequests);
    }

    private static async Task<bool> WaitQuietlyAsync(ILocator locator)
    {
        try
        {
            await locator.WaitForAsync(new() { Timeout = 5_000 });
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_browser_is_redirected_to_the_slashed_url_the_IDE_needs()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = fixture.AppHost.App.GetEndpoint(ResourceNames.Api, "http"),
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/graphql");
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/graphql/", response.Headers.Location?.OriginalString);
        var config = await http.GetStringAsync("/graphql/bcp-config.json");
        Assert.Contains("\"disableTelemetry\":true", config);
    }
}
