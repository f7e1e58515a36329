using IotAspire;
using IotAspire.AppHost;
using IotAspire.AppHost.Grafana;

var builder = DistributedApplication.CreateBuilder(args);

var postgres = builder.AddPostgresWithLocalFallback(ResourceNames.Postgres);   // container, or local binaries
var readingsDb = postgres.AddDatabase(ResourceNames.ReadingsDatabase);
var accountsDb = postgres.AddDatabase(ResourceNames.AccountsDatabase);

var adminUsername = builder.AddParameter("admin-username", "admin");
var adminPassword = builder.AddParameter("admin-password", new GenerateParameterDefault { MinLength = 16, MinLower = 1, MinUpper = 1, MinNumeric = 1 }, secret: true, persist: true);

var auth = builder.AddProject<Projects.IotAspire_Auth>(ResourceNames.Auth)
    .WithFixedHttpPort(builder.GetPort("Auth"))
    .WithHttpHealthCheck("/health")
    .WithReference(accountsDb).WaitFor(accountsDb)
    .WithEnvironment("Bootstrap__AdminUsername", adminUsername)       // the first administrator
    .WithEnvironment("Bootstrap__AdminPassword", adminPassword)
    .WithEnvironment("KeyRing__Directory", builder.GetAuthKeyRingDirectory());   // protects signing keys at rest

var grafanaDbPassword = builder.AddParameter("grafana-db-password", new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);

var api = builder.AddProject<Projects.IotAspire_Api>(ResourceNames.Api)
    .WithFixedHttpPort(builder.GetPort("Api"))
    .WithHttpHealthCheck("/health")
    .WithReference(readingsDb).WaitFor(readingsDb)
    .WithReference(auth).WaitFor(auth)
    .WithEnvironment("Grafana__ReaderPassword", grafanaDbPassword);   // Grafana's read-only login

builder.AddIotGrafana(ResourceNames.Grafana, postgres, readingsDb, grafanaDbPassword, builder.GetPort("Grafana"));   // only where containers run

builder.AddDeviceSimulator(ResourceNames.Simulator, api, auth);   // Simulator:Enabled; provisions its demo customer

builder.Build().Run();
