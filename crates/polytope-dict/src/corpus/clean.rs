//! The corpora's text cleaners: characters and lines normalised and hard-wrapped prose joined
//! (every source), Project Gutenberg's header, footer and markup removed (Shakespeare and Milton),
//! the Brown Corpus detokenised, and the King James Bible's `bible` output cut into books.

use super::Document;

/// Normalises characters: line endings, BOM, typographic quotes, tabs and odd spaces.
pub fn normalise_chars(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => out.push('\n'),
            '\u{feff}' | '\u{200b}' => {}
            '\u{2018}' | '\u{2019}' | '\u{201b}' => out.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{201f}' => out.push('"'),
            '\t' | '\u{a0}' | '\u{2009}' | '\u{202f}' => out.push(' '),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Trims a line and collapses runs of spaces.
pub fn tidy_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for word in line.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether a block of lines looks like hard-wrapped prose (to be joined) rather than verse.
fn is_wrapped_prose(lines: &[String]) -> bool {
    if lines.len() < 2 {
        return false;
    }
    let body = &lines[..lines.len() - 1];
    let total: usize = body.iter().map(|l| l.chars().count()).sum();
    let shortest = body.iter().map(|l| l.chars().count()).min().unwrap_or(0);
    // Verse lines start with a capital; wrapped prose continues in lower case.
    let lower = lines[1..]
        .iter()
        .filter(|l| l.starts_with(|c: char| c.is_lowercase()))
        .count();
    (shortest >= 35 && total >= 58 * body.len())
        || (total >= 50 * body.len() && 10 * lower >= 3 * (lines.len() - 1))
}

/// Cleans a document: characters normalised, lines tidied, blank-line-separated blocks become
/// single-newline-separated paragraphs (hard-wrapped prose joined into one line), no blank lines.
pub fn clean_document(text: &str) -> String {
    let text = normalise_chars(text);
    let mut paragraphs: Vec<String> = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let flush = |block: &mut Vec<String>, paragraphs: &mut Vec<String>| {
        if block.is_empty() {
            return;
        }
        // A play's speaker ("Ham.") heads the speech's block.
        if block.len() >= 3
            && block[0].len() <= 24
            && block[0].ends_with('.')
            && is_wrapped_prose(&block[1..])
        {
            paragraphs.push(block[0].clone());
            paragraphs.push(block[1..].join(" "));
        } else if is_wrapped_prose(block) {
            paragraphs.push(block.join(" "));
        } else {
            paragraphs.append(block);
        }
        block.clear();
    };
    for line in text.lines() {
        let line = tidy_line(line);
        if line.is_empty() {
            flush(&mut block, &mut paragraphs);
        } else {
            block.push(line);
        }
    }
    flush(&mut block, &mut paragraphs);
    paragraphs.join("\n")
}

/// Cuts a Project Gutenberg header and footer when present.
pub fn strip_gutenberg(text: &str) -> &str {
    let mut body = text;
    if let Some(i) = body.find("*** START OF") {
        body = body[i..].split_once('\n').map_or("", |(_, rest)| rest);
    }
    for marker in [
        "*** END OF",
        "End of the Project Gutenberg",
        "End of Project Gutenberg",
    ] {
        if let Some(i) = body.find(marker) {
            body = &body[..i];
        }
    }
    body
}

/// Removes the markup of the Gutenberg texts: `_italics_`, dotted indentation and the line
/// numbers printed at the end of every tenth verse.
pub fn strip_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut line = line.trim_end();
        // "   text of the verse        10": a run of two or more spaces, then only digits.
        if let Some(pos) = line.rfind("  ") {
            let tail = &line[pos..].trim_start();
            if !tail.is_empty()
                && tail.len() <= 4
                && tail.bytes().all(|b| b.is_ascii_digit())
                && !line[..pos].trim().is_empty()
            {
                line = line[..pos].trim_end();
            }
        }
        let mut line = line.trim_start();
        if line.starts_with("...") {
            line = line.trim_start_matches('.');
        }
        out.push_str(&line.replace('_', ""));
        out.push('\n');
    }
    out
}

/// Brown corpus: `word/tag` tokens, one sentence per line -> detokenised running text.
pub fn detokenise_brown(text: &str) -> String {
    const CLOSING: [&str; 13] = [
        ",", ".", ";", ":", "!", "?", ")", "]", "}", "''", "'", "n't", "%",
    ];
    const OPENING: [&str; 5] = ["``", "`", "(", "[", "{"];
    let mut sentences: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut words: Vec<&str> = Vec::new();
        for token in line.split_whitespace() {
            let word = match token.rsplit_once('/') {
                Some((w, _)) if !w.is_empty() => w,
                _ => token,
            };
            // This copy doubles sentence-final "?", "!" and ";" ("?/. ?/.").
            if matches!(word, "?" | "!" | ";") && words.last() == Some(&word) {
                continue;
            }
            // Brown puts the full stop after a closing quote: `wait '' .` -> `wait . ''`.
            if word == "." && words.last() == Some(&"''") {
                words.insert(words.len() - 1, word);
                continue;
            }
            words.push(word);
        }
        let mut out = String::new();
        let mut glue_next = true;
        for word in words {
            let closing = CLOSING.contains(&word)
                || (word.starts_with('\'')
                    && word.len() <= 3
                    && word[1..].bytes().all(|b| b.is_ascii_alphabetic())
                    && word.len() > 1);
            if !glue_next && !closing {
                out.push(' ');
            }
            out.push_str(match word {
                "``" | "''" => "\"",
                "`" => "'",
                w => w,
            });
            glue_next = OPENING.contains(&word);
        }
        if !out.is_empty() {
            sentences.push(out);
        }
    }
    sentences.join(" ")
}

/// KJV from `bible -l 100000 gen1:1-rev22:21`: one document per book, one paragraph per chapter.
pub fn parse_kjv(output: &str) -> Vec<Document> {
    let mut docs: Vec<Document> = Vec::new();
    let mut chapter = String::new();
    let flush = |chapter: &mut String, docs: &mut Vec<Document>| {
        if let Some(doc) = docs.last_mut()
            && !chapter.is_empty()
        {
            if !doc.text.is_empty() {
                doc.text.push('\n');
            }
            doc.text.push_str(chapter);
        }
        chapter.clear();
    };
    for line in output.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(' ') {
            // "  12 verse text"
            let verse = line.trim_start();
            let verse = verse.split_once(' ').map_or("", |(n, rest)| {
                if n.bytes().all(|b| b.is_ascii_digit()) {
                    rest
                } else {
                    verse
                }
            });
            if !chapter.is_empty() {
                chapter.push(' ');
            }
            chapter.push_str(&tidy_line(verse));
        } else {
            // "1 Samuel 3": a new chapter, maybe a new book.
            flush(&mut chapter, &mut docs);
            let book = line.trim().rsplit_once(' ').map_or(line.trim(), |(b, _)| b);
            if docs.last().is_none_or(|d| d.name != book) {
                docs.push(Document {
                    name: book.to_owned(),
                    text: String::new(),
                });
            }
        }
    }
    flush(&mut chapter, &mut docs);
    docs.retain(|d| !d.text.is_empty());
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brown_detokenises() {
        let raw = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, (/( it's/pps+bez 1/2/cd )/) ./.\n\n\tHe/pps didn't/dod* go/vb ?/. ?/.\n\t``/`` Wait/vb ''/'' ./.";
        assert_eq!(
            detokenise_brown(raw),
            "The jury said \"no evidence\", (it's 1/2). He didn't go? \"Wait.\""
        );
    }

    #[test]
    fn documents_are_cleaned() {
        let text =
            "\u{feff}Title\r\n\r\n\r\n\r\nWho’s  there?\t\n\n\nA line of verse\nanother line\n";
        assert_eq!(
            clean_document(text),
            "Title\nWho's there?\nA line of verse\nanother line"
        );
        let prose = "This is a long line of hard-wrapped prose that goes on and on and on\nand it continues on the next line for a while, then stops.\nEnd.";
        assert_eq!(clean_document(prose).lines().count(), 1);
        assert_eq!(clean_document(&format!("Ham.\n{prose}")).lines().count(), 2);
        let marked = strip_markup(
            "  Thou Spirit, who led'st this glorious Eremite\nInto the desert, his _victorious_ field        10\n............In dark Cimmerian desert ever dwell.\n",
        );
        assert_eq!(
            clean_document(&marked),
            "Thou Spirit, who led'st this glorious Eremite\nInto the desert, his victorious field\nIn dark Cimmerian desert ever dwell."
        );
        assert_eq!(
            strip_gutenberg(
                "head\n*** START OF THE BOOK ***\nbody\n*** END OF THE BOOK ***\nlicence"
            ),
            "body\n"
        );
    }

    #[test]
    fn kjv_books_become_documents() {
        let out = "\nGenesis 1\n\n  1 In the beginning.\n  2 And the earth.\n\nGenesis 2\n\n  1 Thus.\n\n1 Samuel 1\n\n  1 Now there was.\n";
        let docs = parse_kjv(out);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].name, "Genesis");
        assert_eq!(docs[0].text, "In the beginning. And the earth.\nThus.");
        assert_eq!(docs[1].name, "1 Samuel");
        assert_eq!(docs[1].text, "Now there was.");
    }
}
