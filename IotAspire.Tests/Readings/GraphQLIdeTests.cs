using IotAspire.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IotAspire.Tests.Readings;

/// <summary>Banana Cake Pop at /graphql, used as a customer would: paste a token into its headers, run a query.</summary>
[Collection(SecondAppHostCollection.Name)]
public sealed class GraphQLIdeTests(SecondAppHostFixture fixture)
{
    [Fact]
    public async Task The_IDE_loads_at_graphql_and_runs_an_authenticated_query_without_calling_any_other_host()
    {
        var token = await new TokenServiceClient(fixture.AppHost).AdminAccessTokenAsync();
        await using var ide = await OpenSignedInAsync(token);

        // The IDE's answer is read off the wire: its editors render lazily, the network does not.
        var answered = new TaskCompletionSource<(string? Authorization, string Body)>();
        ide.Page.Response += async (_, response) =>
        {
            if (response.Request.Method == "POST" && response.Url.StartsWith(ide.ApiUrl + "/graphql", StringComparison.Ordinal)
                && (response.Request.PostData ?? "").Contains("readingCount") && response.Status == 200)
            {
                answered.TrySetResult((await response.Request.HeaderValueAsync("authorization"), await response.TextAsync()));
            }
        };

        await ide.RunAsync("query { devices { id readingCount } }", "readingCount", answered.Task);

        Assert.True(answered.Task.IsCompleted, "the IDE never sent the query");
        var (authorization, body) = await answered.Task;
        Assert.Equal("Bearer " + token, authorization);
        Assert.Contains("\"devices\"", body);
        Assert.Empty(ide.ForeignRequests);
    }

    [Fact]
    public async Task The_IDE_runs_a_subscription_over_its_websocket_and_shows_readings_as_they_commit()
    {
        var auth = new TokenServiceClient(fixture.AppHost);
        var (customer, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        await using var ide = await OpenSignedInAsync(customer);

        // What the IDE sends and receives on its WebSocket, read off the wire.
        var subscribed = new TaskCompletionSource();
        var delivered = new TaskCompletionSource<string>();
        ide.Page.WebSocket += (_, socket) =>
        {
            socket.FrameSent += (_, frame) =>
            {
                if ((frame.Text ?? "").Contains("\"subscribe\"") && frame.Text!.Contains("readingsIngested"))
                {
                    subscribed.TrySetResult();
                }
            };
            socket.FrameReceived += (_, frame) =>
            {
                if ((frame.Text ?? "").Contains("\"next\"") && frame.Text!.Contains(device.ToString()))
                {
                    delivered.TrySetResult(frame.Text);
                }
            };
        };

        await ide.RunAsync("subscription { readingsIngested { deviceId customerId reading } }", "readingsIngested", subscribed.Task);
        Assert.True(subscribed.Task.IsCompleted, "the IDE never subscribed");
        await Task.Delay(500);   // the subscribe message is being handled

        await new GraphQLClient(fixture.AppHost).DataAsync(GraphQLDocuments.Ingest,
            new { readings = new[] { new { timestamp = "2022-02-02T00:00:00Z", reading = 42.5, deviceId = device } } }, customer);
        await Task.WhenAny(delivered.Task, Task.Delay(TimeSpan.FromSeconds(15)));

        Assert.True(delivered.Task.IsCompleted, "the IDE's subscription never received the reading");
        Assert.Contains(customerId.ToString(), await delivered.Task);
        Assert.Contains("42.5", await delivered.Task);
        // And the IDE shows it.
        await ide.Page.GetByText("42.5").First.WaitForAsync(new() { Timeout = 10_000 });
        Assert.Empty(ide.ForeignRequests);
    }

    /// <summary>Banana Cake Pop in headless Chromium, with <paramref name="token"/> in its HTTP headers and the schema loaded.</summary>
    private async Task<Ide> OpenSignedInAsync(string token)
    {
        var apiUrl = fixture.AppHost.App.GetEndpoint(ResourceNames.Api, "http").ToString().TrimEnd('/');
        var playwright = await Playwright.CreateAsync();
        var browser = await HeadlessChromium.LaunchAsync(playwright);
        // The IDE's service worker reloads the page once it has cached itself, and when that reload lands
        // depends on the machine's speed: the test blocks the worker and asks for the schema itself.
        var page = await browser.NewPageAsync(new()
        {
            ViewportSize = new() { Width = 1400, Height = 900 },
            ServiceWorkers = ServiceWorkerPolicy.Block,
        });
        var ide = new Ide(playwright, browser, page, apiUrl);
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(apiUrl, StringComparison.Ordinal) && !request.Url.StartsWith(apiUrl.Replace("http", "ws"), StringComparison.Ordinal)
                && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                ide.ForeignRequests.Add(request.Url);
            }
        };

        await page.GotoAsync(apiUrl + "/graphql");
        await page.GetByText("Create Document").ClickAsync();
        await ide.Editor.WaitForAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "HTTP Headers" }).ClickAsync();
        await page.GetByPlaceholder("Name").First.FillAsync("Authorization");
        await page.GetByPlaceholder("Name").First.PressAsync("Enter");
        await page.GetByPlaceholder("Value").First.FillAsync("Bearer " + token);
        // With the token in place the IDE can introspect the schema once asked to (Ctrl+Alt+R, "Reload Schema").
        var schemaAvailable = page.GetByText("Schema available");
        for (var attempt = 0; attempt < 6 && !await schemaAvailable.IsVisibleAsync(); attempt++)
        {
            await ide.Editor.ClickAsync();
            await page.Keyboard.PressAsync("Control+Alt+R");
            await WaitQuietlyAsync(schemaAvailable);
        }

        await schemaAvailable.WaitForAsync(new() { Timeout = 5_000 });
        return ide;
    }

    private sealed class Ide(IPlaywright playwright, IBrowser browser, IPage page, string apiUrl) : IAsyncDisposable
    {
        public IPage Page => page;

        public string ApiUrl => apiUrl;

        public List<string> ForeignRequests { get; } = [];

        public ILocator Editor => page.Locator(".monaco-editor").First;

        /// <summary>
        /// Types <paramref name="document"/> and runs it until <paramref name="done"/>. The IDE may still be settling
        /// after introspection and drop the first input: it runs only once the editor shows the document.
        /// </summary>
        public async Task RunAsync(string document, string shows, Task done)
        {
            for (var attempt = 0; attempt < 8 && !done.IsCompleted; attempt++)
            {
                await Editor.ClickAsync();
                await page.Keyboard.PressAsync("Control+A");
                await page.Keyboard.InsertTextAsync(document);
                if (await WaitQuietlyAsync(Editor.Locator(".view-lines", new() { HasText = shows })))
                {
                    await page.Keyboard.PressAsync("Control+Alt+Enter");
                    await Task.WhenAny(done, Task.Delay(TimeSpan.FromSeconds(5)));
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
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
