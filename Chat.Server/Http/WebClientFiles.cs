using Microsoft.Extensions.FileProviders;

namespace Chat.Server.Http;

/// <summary>
/// <c>GET /</c> and its files: the web client, served from <c>wwwroot</c> beside the server's assembly (copied there by
/// the build), with validators so browsers cache and revalidate them, and a Content-Security-Policy that lets the page
/// run only its own scripts and styles and talk only to its own origin: no inline script, no other site.
/// </summary>
internal static class WebClientFiles
{
    /// <summary>The policy of every file served. <c>connect-src 'self'</c> covers the page's own <c>ws:</c>/<c>wss:</c> origin.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void UseWebClient(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(root))
        {
            return;
        }

        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                // Cached, and checked with the server (ETag, Last-Modified) before each use: a new version shows at once.
                headers.CacheControl = "no-cache";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
            },
        });
    }
}
