using System.Collections.Concurrent;
using GraphQL;
using IotAspire.Api.Errors;

namespace IotAspire.Api.GraphQLWebSockets;

/// <summary>What an operation sends its client: its results, its end, its errors (the protocol's messages).</summary>
public interface IOperationMessages
{
    void SendNext(string id, ExecutionResult result);

    void SendComplete(string id);

    void SendErrors(string id, ExecutionResult result);
}

/// <summary>
/// The operations of one connection, each under the id its client gave it: started by <c>subscribe</c>, ended by the
/// client's <c>complete</c>, by their stream's end or failure, or by the connection's end (each operation's token is
/// linked to <paramref name="connection"/>). A subscription lives as long as its token; a query or mutation sends its
/// one result and completes.
/// </summary>
public sealed class SubscriptionOperations(IOperationMessages messages, CancellationToken connection)
{
    private readonly IOperationMessages messages = messages;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> operations = new();

    public int Count => operations.Count;

    public bool Contains(string id) => operations.ContainsKey(id);

    /// <summary>
    /// Starts operation <paramref name="id"/>: <paramref name="execute"/> runs with the operation's token, and its
    /// result is sent (a stream's events as they come). Not awaited: the connection reads on meanwhile.
    /// </summary>
    public void Start(string id, Func<CancellationToken, Task<ExecutionResult>> execute)
    {
        var operation = CancellationTokenSource.CreateLinkedTokenSource(connection);
        operations[id] = operation;
        _ = RunAsync(id, operation, execute);
    }

    /// <summary>The client's <c>complete</c>: the operation ends without another message.</summary>
    public async Task CompleteAsync(string id)
    {
        if (operations.TryRemove(id, out var operation))
        {
            await operation.CancelAsync();
        }
    }

    private async Task RunAsync(string id, CancellationTokenSource operation, Func<CancellationToken, Task<ExecutionResult>> execute)
    {
        try
        {
            var result = await execute(operation.Token);
            if (result.Streams is { Count: > 0 } streams)
            {
                var subscription = streams.Values.Single().Subscribe(new StreamObserver(this, id, operation));
                operation.Token.Register(subscription.Dispose);
                return;
            }

            // Refused before or during execution, with nothing to show (a FORBIDDEN scope, say): the protocol's error.
            if (!result.Executed || (result.Data is null && result.Errors is { Count: > 0 }))
            {
                messages.SendErrors(id, result);
            }
            else
            {
                messages.SendNext(id, result);
                messages.SendComplete(id);
            }
        }
        catch (OperationCanceledException) when (operation.IsCancellationRequested)
        {
            // Completed by the client, or the connection ended.
        }

        End(id, operation);
    }

    private void End(string id, CancellationTokenSource operation)
    {
        if (operations.TryRemove(new KeyValuePair<string, CancellationTokenSource>(id, operation)))
        {
            operation.Cancel();
            operation.Dispose();
        }
    }

    /// <summary>Sends a subscription's events; a stream that fails ends its operation with an <c>error</c> message.</summary>
    private sealed class StreamObserver(SubscriptionOperations owner, string id, CancellationTokenSource operation) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
            if (!operation.IsCancellationRequested)
            {
                owner.messages.SendNext(id, value);
            }
        }

        public void OnError(Exception error)
        {
            if (!operation.IsCancellationRequested)
            {
                var (code, message) = error is ExecutionError { Code: { } c } executionError
                    ? (c, executionError.Message)
                    : (ApiErrors.Unavailable, "The subscription failed on the server; subscribe again.");
                owner.messages.SendErrors(id, new ExecutionResult { Errors = [new ExecutionError(message) { Code = code }] });
            }

            owner.End(id, operation);
        }

        public void OnCompleted()
        {
            if (!operation.IsCancellationRequested)
            {
                owner.messages.SendComplete(id);
            }

            owner.End(id, operation);
        }
    }
}
