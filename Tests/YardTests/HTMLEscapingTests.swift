import Testing
import YardCore

@Suite struct HTMLEscapingTests {
    @Test func escapesTheFiveMarkupCharactersEverywhere() {
        #expect(HTMLEscaping.escaped(#"<a href="x" title='y'>&</a>"#)
                == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTMLEscaping.escaped("plain name 1.5e-3") == "plain name 1.5e-3")
    }

    @Test func showsControlCharactersOnlyWhenAsked() {
        let crafted = "a\u{1b}[2Jb\u{7f}c\td\ne\rf"
        #expect(HTMLEscaping.escaped(crafted) == crafted)
        #expect(HTMLEscaping.escaped(crafted, showingControlCharacters: true) == "a\\u{1b}[2Jb\\u{7f}c\td\ne\rf")
        // The fast path must not skip a string whose only special character is a control character.
        #expect(HTMLEscaping.escaped("x\u{0}y", showingControlCharacters: true) == "x\\u{0}y")
    }

    @Test func keepsNonASCIIText() {
        #expect(HTMLEscaping.escaped("modèle <ß> 模型 🚀") == "modèle &lt;ß&gt; 模型 🚀")
    }
}
