using IotAspire.DeviceSimulator;
using Microsoft.Extensions.Options;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddValidatedOptions<SimulatorOptions>(SimulatorOptions.Section);
builder.Services.AddHttpClient("api", (services, http) => http.BaseAddress = new(services.GetRequiredService<IOptions<SimulatorOptions>>().Value.ApiUrl));
builder.Services.AddHostedService<SimulatorService>();

builder.Build().Run();
