using IotAspire;
using IotAspire.AppHost;
using IotAspire.AppHost.Grafana;

var builder = DistributedApplication.CreateBuilder(args);

var postgres = builder.AddPostgresWithLocalFallback(ResourceNames.Postgres);   // container, or local binaries
var readingsDb = postgres.AddDistributedDatabase(ResourceNames.ReadingsDatabase);   // on Citus, on every worker too
var accountsDb = postgres.AddDatabase(ResourceNames.AccountsDatabase);
// Each service connects as the role that owns its database; the superuser only creates roles and databases.
var apiLogin = readingsDb.AddOwnerLogin(ResourceNames.ApiDatabaseLogin, DatabaseRoles.Api);
var authLogin = accountsDb.AddOwnerLogin(ResourceNames.AuthDatabaseLogin, DatabaseRoles.Auth);
var grafanaDbPassword = builder.AddParameter("grafana-db-password", new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);
var grafanaLogin = readingsDb.AddReaderLogin(ResourceNames.GrafanaDatabaseLogin, DatabaseRoles.GrafanaReader, TimeSpan.FromSeconds(20), grafanaDbPassword);

var adminUsername = builder.AddParameter("admin-username", "admin");
var adminPassword = builder.AddParameter("admin-password", new GenerateParameterDefault { MinLength = 16, MinLower = 1, MinUpper = 1, MinNumeric = 1 }, secret: true, persist: true);

var auth = builder.AddProject<Projects.IotAspire_Auth>(ResourceNames.Auth)
    .WithFixedHttpPort("Auth")
    .WithHttpHealthCheck("/health")
    .WithReference(authLogin, ResourceNames.AccountsDatabase).WaitFor(authLogin)
    .WithEnvironment("Bootstrap__AdminUsername", adminUsername)       // the first administrator
    .WithEnvironment("Bootstrap__AdminPassword", adminPassword)
    .WithEnvironment("KeyRing__Directory", builder.GetKeyRingDirectory("Auth"))   // protects signing keys at rest
    .WithConfiguredReplicas("Auth");   // Auth:Replicas (1); they share signing keys through PostgreSQL

var api = builder.AddProject<Projects.IotAspire_Api>(ResourceNames.Api)
    .WithFixedHttpPort("Api")
    .WithMqttEndpoint("Api")          // devices' MQTT (DeviceProtocols/), on Ports:Mqtt
    .WithHttpHealthCheck("/health")
    .WithReference(apiLogin, ResourceNames.ReadingsDatabase).WaitFor(apiLogin)
    .WithReference(auth).WaitFor(auth)
    .WithEnvironment("KeyRing__Directory", builder.GetKeyRingDirectory("Api"))   // protects webhook secrets at rest
    .WaitFor(grafanaLogin)    // the API grants Grafana's role the tables it may read
    .WithConfiguredReplicas("Api");   // Api:Replicas (1); live updates reach every replica through PostgreSQL

builder.AddIotGrafana(ResourceNames.Grafana, postgres, grafanaLogin, builder.GetPort("Grafana"));   // only where containers run

builder.AddDeviceSimulator(ResourceNames.Simulator, api, auth);   // Simulator:Enabled; provisions its demo customer

builder.Build().Run();
