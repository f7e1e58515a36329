namespace IotAspire.UnitTests;

/// <summary>The repository's root (the folder holding IotAspire.sln), for tests that read its source and checked-in files.</summary>
public static class RepositoryRoot
{
    public static readonly string Path = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "IotAspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No IotAspire.sln above {AppContext.BaseDirectory}.");
    }
}
