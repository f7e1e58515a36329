using IotAspire.Auth;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTokenService();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapTokenService();

app.Run();
