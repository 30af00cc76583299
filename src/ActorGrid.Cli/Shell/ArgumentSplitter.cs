using System.Text;

namespace ActorGrid.Cli.Shell;

// Splits a prompt line into arguments the way a shell would for the cases operators type:
// spaces separate, "double" or 'single' quotes keep spaces, a backslash escapes the next character.
public static class ArgumentSplitter
{
    public static IReadOnlyList<string> Split(string line)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        var inArg = false;
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length && quote != '\'')
            {
                current.Append(line[++i]);
                inArg = true;
            }
            else if (quote is not null)
            {
                if (c == quote) quote = null;
                else current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inArg = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inArg) args.Add(current.ToString());
                current.Clear();
                inArg = false;
            }
            else
            {
                current.Append(c);
                inArg = true;
            }
        }
        if (inArg) args.Add(current.ToString());
        return args;
    }
}
