using System.Text;

namespace ActorGrid.Cli.Shell;

// Reads one prompt line. On a terminal it edits in place with history on the up and down
// arrows (Console.ReadLine has none on Linux); from a pipe it reads plain lines, so scripts and
// tests can drive the prompt.
public sealed class LineEditor(IReadOnlyList<string> history)
{
    public string? ReadLine(string prompt)
    {
        Console.Write(prompt);
        if (Console.IsInputRedirected)
        {
            var piped = Console.In.ReadLine();
            if (piped is not null) Console.WriteLine(piped); // echo, so a transcript reads like a session
            return piped;
        }

        var buffer = new StringBuilder();
        var cursor = 0;
        var recall = history.Count;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    return buffer.ToString();
                case ConsoleKey.Backspace when cursor > 0:
                    buffer.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < buffer.Length:
                    buffer.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < buffer.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.UpArrow when recall > 0:
                    buffer.Clear().Append(history[--recall]);
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.DownArrow when recall < history.Count:
                    recall++;
                    buffer.Clear().Append(recall < history.Count ? history[recall] : "");
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && buffer.Length == 0:
                    Console.WriteLine();
                    return null;
                default:
                    if (key.KeyChar >= ' ' && !char.IsControl(key.KeyChar)) buffer.Insert(cursor++, key.KeyChar);
                    break;
            }
            Redraw(prompt, buffer, cursor);
        }
    }

    private static void Redraw(string prompt, StringBuilder buffer, int cursor)
    {
        // Carriage return, prompt, text, clear to end of line, then put the cursor back.
        Console.Write("\r" + prompt + buffer + "\u001b[K");
        var back = buffer.Length - cursor;
        if (back > 0) Console.Write($"\u001b[{back}D");
    }
}
