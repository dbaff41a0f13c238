//! Splits a (syntactically valid) file into lines and records, for each,
//! what the layout pass needs: whether it may be re-indented at all (not
//! inside a heredoc, a block comment or a multi-line template), its
//! bracket balance at the top level, and whether it is a `key = value`
//! line. Strings, heredocs and comments are skipped over, so brackets and
//! `=` inside them never count.

use std::collections::VecDeque;

/// One physical line and what the layout pass needs to know about it.
#[derive(Debug, Clone)]
pub(super) struct Line<'a> {
    pub text: &'a str,
    /// Starts inside a heredoc, a block comment or a string: emitted as is.
    pub verbatim: bool,
    /// Heredoc content, whose trailing whitespace is part of the value.
    pub keep_trailing: bool,
    /// Closing brackets before anything else on the line.
    pub leading_closers: usize,
    /// Opening minus closing brackets after those.
    pub net: isize,
    /// For `key = value` lines: the end of the key and the index of `=`.
    pub assignment: Option<(usize, usize)>,
    /// Ends inside a construct that continues on the next line.
    pub continues: bool,
    pub comment_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Expression code; `depth` counts brackets opened in this frame.
    Code { depth: usize },
    /// A quoted string (template).
    Str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Equals(usize),
    Key(usize, usize),
    Comment,
    Other,
}

struct Scanner {
    /// The bottom frame is the top level of the file.
    frames: Vec<Frame>,
    in_block_comment: bool,
    /// Heredocs opened on the current line, whose content starts next.
    pending_heredocs: VecDeque<String>,
    /// The delimiter of the heredoc whose content we are in.
    heredoc: Option<String>,
}

pub(super) fn scan(text: &str) -> Vec<Line<'_>> {
    let mut scanner = Scanner {
        frames: vec![Frame::Code { depth: 0 }],
        in_block_comment: false,
        pending_heredocs: VecDeque::new(),
        heredoc: None,
    };
    text.split('\n').map(|line| scanner.line(line)).collect()
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

impl Scanner {
    fn at_top(&self) -> bool {
        self.frames.len() == 1
    }

    fn line<'a>(&mut self, text: &'a str) -> Line<'a> {
        let mut line = Line {
            text,
            verbatim: true,
            keep_trailing: false,
            leading_closers: 0,
            net: 0,
            assignment: None,
            continues: false,
            comment_only: false,
        };
        if let Some(delimiter) = &self.heredoc {
            if text.trim() == delimiter {
                self.heredoc = self.pending_heredocs.pop_front();
            } else {
                line.keep_trailing = true;
            }
            line.continues = self.heredoc.is_some();
            return line;
        }
        line.verbatim = self.in_block_comment || !self.at_top();
        let tokens = self.tokens(text);
        line.leading_closers = tokens.iter().take_while(|&&t| t == Token::Close).count();
        for token in &tokens[line.leading_closers..] {
            match token {
                Token::Open => line.net += 1,
                Token::Close => line.net -= 1,
                _ => {}
            }
        }
        if let [Token::Key(_, key_end), Token::Equals(equals), ..] = tokens[..] {
            line.assignment = Some((key_end, equals));
        }
        line.comment_only = !tokens.is_empty() && tokens.iter().all(|&t| t == Token::Comment);
        self.heredoc = self.pending_heredocs.pop_front();
        line.continues = self.in_block_comment || !self.at_top() || self.heredoc.is_some();
        line
    }

    /// The top-level tokens of one line, updating the frames on the way.
    fn tokens(&mut self, text: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let at = |i: usize| chars.get(i).map(|&(_, c)| c);
        let offset = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
        let mut i = 0;
        // Where the top-level string being read started, to report it as a key.
        let mut string_start = None;
        while i < chars.len() {
            let c = chars[i].1;
            let top = self.at_top();
            if self.in_block_comment {
                if c == '*' && at(i + 1) == Some('/') {
                    self.in_block_comment = false;
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            match self.frames.last().copied() {
                Some(Frame::Str) => {
                    match (c, at(i + 1), at(i + 2)) {
                        ('\\', _, _) => i += 1,
                        ('$', Some('$'), Some('{')) | ('%', Some('%'), Some('{')) => i += 2,
                        ('$' | '%', Some('{'), _) => {
                            self.frames.push(Frame::Code { depth: 0 });
                            i += 1;
                        }
                        ('"', _, _) => {
                            self.frames.pop();
                            if self.at_top() {
                                let start = string_start.take().unwrap_or(0);
                                tokens.push(Token::Key(start, offset(i + 1)));
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                Some(Frame::Code { depth }) => {
                    let next = at(i + 1);
                    let token = match c {
                        _ if c.is_whitespace() => {
                            i += 1;
                            None
                        }
                        '#' => {
                            i = chars.len();
                            Some(Token::Comment)
                        }
                        '/' if next == Some('/') => {
                            i = chars.len();
                            Some(Token::Comment)
                        }
                        '/' if next == Some('*') => {
                            self.in_block_comment = true;
                            i += 2;
                            Some(Token::Comment)
                        }
                        '"' => {
                            if top {
                                string_start = Some(offset(i));
                            }
                            self.frames.push(Frame::Str);
                            i += 1;
                            None
                        }
                        '<' if next == Some('<') => {
                            i += 2;
                            if at(i) == Some('-') {
                                i += 1;
                            }
                            let start = i;
                            while at(i).is_some_and(is_ident_char) {
                                i += 1;
                            }
                            self.pending_heredocs
                                .push_back(text[offset(start)..offset(i)].to_string());
                            Some(Token::Other)
                        }
                        '{' | '[' | '(' => {
                            self.set_depth(depth + 1);
                            i += 1;
                            Some(Token::Open)
                        }
                        '}' | ']' | ')' => {
                            i += 1;
                            if depth == 0 && !top {
                                // The `}` that ends an interpolation.
                                self.frames.pop();
                                None
                            } else {
                                self.set_depth(depth.saturating_sub(1));
                                Some(Token::Close)
                            }
                        }
                        '=' | '!' | '<' | '>'
                            if next == Some('=') || (c == '=' && next == Some('>')) =>
                        {
                            i += 2;
                            Some(Token::Other)
                        }
                        '=' => {
                            i += 1;
                            Some(Token::Equals(offset(i - 1)))
                        }
                        _ if is_ident_start(c) => {
                            let start = i;
                            while at(i).is_some_and(is_ident_char) {
                                i += 1;
                            }
                            Some(Token::Key(offset(start), offset(i)))
                        }
                        _ => {
                            i += 1;
                            Some(Token::Other)
                        }
                    };
                    // Only the top level decides indentation and alignment.
                    if let Some(token) = token.filter(|_| top) {
                        tokens.push(token);
                    }
                }
                None => i = chars.len(),
            }
        }
        tokens
    }

    fn set_depth(&mut self, depth: usize) {
        if let Some(Frame::Code { depth: current }) = self.frames.last_mut() {
            *current = depth;
        }
    }
}
