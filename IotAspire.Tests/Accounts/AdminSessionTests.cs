using System.Net;
using System.Text.RegularExpressions;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Accounts;

/// <summary>An admin page session ends on the next request once its account changes.</summary>
[Collection(AppHostCollection.Name)]
public sealed partial class AdminSessionTests(AppHostFixture fixture)
{
    private const string Password = "Second-Admin-Pw-3";
    private readonly TokenServiceClient auth = new(fixture.AppHost);

    /// <summary>A browser-like client: keeps cookies, does not follow redirects (so a sign-out shows as 302).</summary>
    private HttpClient Browser() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
    {
        BaseAddress = fixture.AppHost.App.GetEndpoint(ResourceNames.Auth, "http"),
    };

    private static async Task SignInAsync(HttpClient browser, string userName)
    {
        var form = await browser.GetStringAsync("/admin/login");
        var token = AntiforgeryToken().Match(form).Groups[1].Value;
        using var response = await browser.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = userName,
            ["password"] = Password,
            ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    private static async Task<HttpStatusCode> AdminPageAsync(HttpClient browser)
    {
        using var response = await browser.GetAsync("/admin");
        return response.StatusCode;
    }

    [Theory]
    [InlineData("deactivated")]
    [InlineData("demoted")]
    [InlineData("password reset")]
    [InlineData("deleted")]
    public async Task A_changed_administrator_is_signed_out_on_the_next_request(string change)
    {
        var admin = await auth.AdminAccessTokenAsync();
        var userName = $"admin2-{Guid.NewGuid():N}"[..20];
        Assert.Equal(HttpStatusCode.Created, (await auth.PostAsync("/api/users", new { username = userName, password = Password, role = "admin" }, admin)).Status);
        using var browser = Browser();
        await SignInAsync(browser, userName);
        Assert.Equal(HttpStatusCode.OK, await AdminPageAsync(browser));

        using var request = change == "deleted"
            ? new HttpRequestMessage(HttpMethod.Delete, $"/api/users/{userName}")
            : new HttpRequestMessage(HttpMethod.Patch, $"/api/users/{userName}")
            {
                Content = System.Net.Http.Json.JsonContent.Create<object>(change switch
                {
                    "deactivated" => new { isActive = false },
                    "demoted" => new { role = "customer", customerId = Guid.NewGuid() },
                    _ => new { password = "Reset-By-Other-Admin-8" },
                }),
            };
        var (status, body) = await auth.SendAsync(request, admin);
        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.NoContent, $"{(int)status}: {body}");

        Assert.Equal(HttpStatusCode.Redirect, await AdminPageAsync(browser));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
