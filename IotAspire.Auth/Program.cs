using IotAspire.Auth.Data;
using IotAspire.Shared;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAccountsDatabase(ResourceNames.AccountsDatabase);

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGet("/", () => Results.Text("IotAspire token service. Token endpoints arrive at /api/token."));

app.Run();
