using GraphQL;
using GraphQL.Execution;
using GraphQL.Validation;
using GraphQL.Validation.Errors;
using IotAspire.Api.Errors;

namespace IotAspire.Api.Schema;

/// <summary>
/// Gives input errors that GraphQL.NET finds before our code runs (a malformed UUID or date in an argument
/// or variable) the same <c>BAD_USER_INPUT</c> code as the checks in our resolvers, so clients handle one
/// code. Exception details never leave the server.
/// </summary>
public sealed class ApiErrorInfoProvider() : ErrorInfoProvider(options => options.ExposeExceptionDetails = false)
{
    public override ErrorInfo GetInfo(ExecutionError executionError)
    {
        if (executionError is ArgumentsOfCorrectTypeError or InvalidVariableError)
        {
            executionError.Code = ApiErrors.BadUserInput;
        }

        var info = base.GetInfo(executionError);
        if (executionError is InvalidVariableError { InnerException: FormatException why } && info.Message.IndexOf(" is invalid.", StringComparison.Ordinal) is > 0 and var end)
        {
            // GraphQL.NET says "Unable to convert '<the whole value>' to 'String'" and keeps our scalars' reason
            // (always safe to show: written for the caller) as an inner exception: say the reason, not the value.
            info.Message = $"{info.Message[..end]} is invalid: {why.Message}";
        }

        if (executionError is RetryLaterError later)
        {
            info.Extensions ??= new Dictionary<string, object?>();
            info.Extensions["retryAfterSeconds"] = later.RetryAfterSeconds;
        }

        return info;
    }

    /// <summary>
    /// The features refuse a request with an <see cref="ApiErrorException"/>, and a database failure is told
    /// as what it means for the request (<see cref="ApiErrors.FromDatabaseFailure"/>); here either becomes a
    /// GraphQL error with its message and code. Any other exception keeps GraphQL.NET's generic message.
    /// </summary>
    public static Task ExposeApiErrors(UnhandledExceptionContext context)
    {
        if (context.OriginalException is ApiErrorException { RetryAfter: { } retryAfter } later)
        {
            context.Exception = new RetryLaterError(later.Code, later.Message, retryAfter);
        }
        else if (context.OriginalException is ApiErrorException refused)
        {
            context.Exception = new ExecutionError(refused.Message) { Code = refused.Code };
        }
        else if (ApiErrors.FromDatabaseFailure(context.OriginalException) is { } failure)
        {
            // The caller hears what it means for the request; the operator needs what the database said.
            var logger = context.Context?.RequestServices?.GetService<ILogger<ApiErrorInfoProvider>>();
            logger?.LogWarning(context.OriginalException, "A database failure was answered as {Code} on {Field}", failure.Code, context.FieldContext?.FieldDefinition?.Name);
            context.Exception = new ExecutionError(failure.Message) { Code = failure.Code };
        }

        return Task.CompletedTask;
    }
}
