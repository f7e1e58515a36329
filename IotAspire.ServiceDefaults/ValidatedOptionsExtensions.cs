using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class ValidatedOptionsExtensions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to the configuration section <paramref name="section"/> and checks
    /// its data annotations (and <paramref name="rules"/>, for rules across fields) when the service starts:
    /// a bad setting stops the service with a message naming the section, the setting and the rule, instead
    /// of failing later on some request.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(
        this IHostApplicationBuilder builder, string section, params (Func<TOptions, bool> Holds, string Message)[] rules)
        where TOptions : class
    {
        var options = builder.Services.AddOptions<TOptions>()
            .Bind(builder.Configuration.GetSection(section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        foreach (var (holds, message) in rules)
        {
            options.Validate(holds, $"{section}: {message}");
        }

        return options;
    }
}
