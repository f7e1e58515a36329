using IotAspire.Auth.Accounts;
using IotAspire.Auth.Data;
using IotAspire.Auth.Security;
using IotAspire.Auth.Tokens;
using IotAspire.Auth.Users;
using IotAspire.Shared;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAccountsDatabase(ResourceNames.AccountsDatabase);
builder.AddAccountServices();
builder.AddTokenServiceAuthentication();
builder.Services.AddProblemDetails();
builder.Services.AddRazorPages(options => options.Conventions.AuthorizeFolder("/Admin", AuthPolicies.AdminPages)
    .AllowAnonymousToPage("/Admin/Login"));

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapTokenEndpoints();
app.MapKeyEndpoints();
app.MapUserEndpoints();
app.MapRazorPages();

app.Run();
