using System.Net;
using IotAspire.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IotAspire.Tests.Accounts;

/// <summary>The admin page in headless Chromium, as an operator uses it.</summary>
[Collection(SecondAppHostCollection.Name)]
public sealed class AdminPageTests(SecondAppHostFixture fixture)
{
    [Fact]
    public async Task An_administrator_signs_in_creates_a_customer_user_that_can_sign_in_and_deactivates_it()
    {
        var baseUrl = fixture.AppHost.App.GetEndpoint(ResourceNames.Auth, "http").ToString().TrimEnd('/');
        var userName = $"page-{Guid.NewGuid():N}"[..20];
        var customerId = Guid.NewGuid();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();

        await page.GotoAsync(baseUrl + "/admin");
        Assert.Contains("/admin/login", page.Url);
        await page.FillAsync("input[name=username]", RunningAppHost.AdminUserName);
        await page.FillAsync("input[name=password]", RunningAppHost.AdminPassword);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("table#users");

        await page.FillAsync("#create-user input[name=username]", userName);
        await page.FillAsync("#create-user input[name=password]", "Page-User-Pw-1");
        await page.FillAsync("#create-user input[name=customerId]", customerId.ToString());
        await page.ClickAsync("#create-user button[type=submit]");

        var row = page.Locator($"tr[data-username='{userName}']");
        await row.WaitForAsync();
        Assert.Contains(customerId.ToString(), await row.InnerTextAsync());
        Assert.Contains("Created user", await page.Locator("p.message").InnerTextAsync());

        var auth = new TokenServiceClient(fixture.AppHost);
        Assert.Equal(HttpStatusCode.OK, (await auth.SignInAsync(userName, "Page-User-Pw-1")).Status);

        await row.GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await page.Locator($"tr[data-username='{userName}'].inactive").WaitForAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.SignInAsync(userName, "Page-User-Pw-1")).Status);
    }

    [Fact]
    public async Task A_form_post_without_the_antiforgery_token_is_refused()
    {
        using var http = fixture.AppHost.CreateHttpClient(ResourceNames.Auth);

        using var response = await http.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = RunningAppHost.AdminUserName,
            ["password"] = RunningAppHost.AdminPassword,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
