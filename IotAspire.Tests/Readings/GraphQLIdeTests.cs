using IotAspire.Shared;
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
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(apiUrl, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                foreignRequests.Add(request.Url);
            }
        };

        await page.GotoAsync(apiUrl + "/graphql");
        await page.GetByText("Create Document").ClickAsync();
        var request = page.Locator(".monaco-editor").First;
        await request.ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.InsertTextAsync("query { devices { id readingCount } }");

        await page.GetByRole(AriaRole.Tab, new() { Name = "HTTP Headers" }).ClickAsync();
        await page.GetByPlaceholder("Name").First.FillAsync("Authorization");
        await page.GetByPlaceholder("Name").First.PressAsync("Enter");
        await page.GetByPlaceholder("Value").First.FillAsync("Bearer " + token);
        // With the token in place the IDE can introspect the schema.
        await page.GetByText("Schema available").WaitForAsync(new() { Timeout = 20_000 });

        var response = page.Locator(".monaco-editor").Nth(1);
        var answer = "";
        // The IDE may still be settling after introspection and drop the first key press: press again.
        for (var attempt = 0; attempt < 4 && !answer.Contains("\"devices\""); attempt++)
        {
            await request.ClickAsync();
            await page.Keyboard.PressAsync("Control+Alt+Enter");
            for (var poll = 0; poll < 10 && !answer.Contains("\"devices\""); poll++)
            {
                await Task.Delay(500);
                answer = await response.InnerTextAsync();
            }
        }

        Assert.Contains("\"data\"", answer);
        Assert.Contains("\"devices\"", answer);
        Assert.Empty(foreignRequests);
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
