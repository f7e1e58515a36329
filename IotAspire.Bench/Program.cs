using IotAspire.Bench;
using Spectre.Console;

// The benchmark command: starts the system (PostgreSQL from local binaries, a data directory kept between
// runs), generates the data set once, measures, and writes bench/results/<date>.md and .png. See docs/performance.md.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

AnsiConsole.MarkupLine($"[bold]IotAspire benchmark[/]: {options.GeneratedReadings:N0} readings, data kept in {Markup.Escape(options.DataDirectory)}");
AnsiConsole.MarkupLine($"Machine: {Markup.Escape(BenchReport.DescribeMachine())}");
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

var reports = new List<(string Mode, BenchReport Report)>();
foreach (var mode in options.PostgresModes)
{
    BenchReport? report = null;
    AnsiConsole.MarkupLine($"[bold]PostgreSQL: {mode}[/], data in {Markup.Escape(options.DataDirectoryFor(mode))}");
    await AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
        .StartAsync(async context =>
        {
            var start = context.AddTask("starting the system (about a minute)").IsIndeterminate();
            var (appHost, target) = await BenchAppHost.StartAsync(options.DataDirectoryFor(mode), mode, options.ApiSettings, cancel.Token);
            await using (appHost)
            {
                start.Value(100).StopTask();
                ProgressTask? current = null;
                report = await new BenchRun(target, options).RunAsync((phase, done, total) =>
                {
                    if (current?.Description != phase)
                    {
                        current?.Value(current.MaxValue).StopTask();
                        current = context.AddTask(Markup.Escape(phase), maxValue: total ?? 1);
                        current.IsIndeterminate = total is null;
                    }

                    if (done is { } value)
                    {
                        current.Value(value);
                    }
                }, cancel.Token);
                current?.Value(current.MaxValue).StopTask();
            }
        });
    reports.Add((mode, report!));
}

var file = BenchRun.Write(reports, options.ResultsDirectory);
AnsiConsole.MarkupLine($"Results: [bold]{Markup.Escape(file)}[/] and its chart beside it.");
return 0;
