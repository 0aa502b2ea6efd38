package org.cityexchange.esnode;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.charfilter.MappingCharFilter;
import org.apache.lucene.analysis.charfilter.NormalizeCharMap;
import org.apache.lucene.analysis.compound.CompoundWordTokenFilterBase;
import org.apache.lucene.analysis.compound.DictionaryCompoundWordTokenFilter;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.de.GermanLightStemFilter;
import org.apache.lucene.analysis.de.GermanMinimalStemFilter;
import org.apache.lucene.analysis.de.GermanNormalizationFilter;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.es.SpanishLightStemFilter;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.fr.FrenchLightStemFilter;
import org.apache.lucene.analysis.fr.FrenchMinimalStemFilter;
import org.apache.lucene.analysis.it.ItalianAnalyzer;
import org.apache.lucene.analysis.it.ItalianLightStemFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.StemmerOverrideFilter;
import org.apache.lucene.analysis.miscellaneous.StemmerOverrideFilter.StemmerOverrideMap;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterGraphFilter;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.pl.PolishAnalyzer;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.stempel.StempelFilter;
import org.apache.lucene.analysis.stempel.StempelStemmer;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.env.Environment;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractCharFilterFactory;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingCharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.PreConfiguredTokenizer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stand-in for the parts of the ES distribution's modules that are not on Maven Central
 * (analysis-common, rest-root, the analysis-stempel plugin), so the throwaway dev node behaves like a
 * stock one where we need it. Everything is built from Lucene classes the server already ships
 * (lucene-analysis-common) or that this module brings (lucene-analysis-stempel), with ES's names
 * and parameters:
 *   analyzers:     english german french dutch spanish italian polish  (params: stopwords, stem_exclusion)
 *   token filters: asciifolding (preserve_original), snowball (language), stemmer (language),
 *                  stemmer_override (rules), german_normalization, word_delimiter_graph (the usual flags),
 *                  polish_stem (as analysis-stempel),
 *                  dictionary_decompounder (word_list[_path], min_word_size, min_subword_size, max_subword_size,
 *                  only_longest_match)
 *   char filters:  mapping (mappings, ES's rule syntax "a => b" with \\uXXXX escapes)
 *   tokenizers:    whitespace, keyword
 *   GET / and HEAD /: the node's name and version, as elasticsearch-py's info() and ping() expect.
 * The server itself already has: standard/simple/whitespace/stop/keyword analyzers, custom
 * analyzers, and the stop, lowercase, shingle and hunspell token filters.
 * Every name registered here is an official one: docker/elasticsearch/analysis-components.json
 * lists what the production image provides, and tests/test_es_parity.py checks this file against it.
 * GET / is the distribution's rest-root answer, not an analysis component: kept.
 */
public class DevNodePlugin extends Plugin implements AnalysisPlugin, ActionPlugin {

    private volatile ClusterService clusterService;

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService = services.clusterService();
        return List.of();
    }

    // ---- analyzers ----------------------------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> analyzers = new TreeMap<>();
        analyzers.put("english", language(EnglishAnalyzer.getDefaultStopSet(), EnglishAnalyzer::new));
        analyzers.put("german", language(GermanAnalyzer.getDefaultStopSet(), GermanAnalyzer::new));
        analyzers.put("french", language(FrenchAnalyzer.getDefaultStopSet(), FrenchAnalyzer::new));
        analyzers.put("dutch", language(DutchAnalyzer.getDefaultStopSet(), DutchAnalyzer::new));
        analyzers.put("spanish", language(SpanishAnalyzer.getDefaultStopSet(), SpanishAnalyzer::new));
        analyzers.put("italian", language(ItalianAnalyzer.getDefaultStopSet(), ItalianAnalyzer::new));
        analyzers.put("polish", language(PolishAnalyzer.getDefaultStopSet(), PolishAnalyzer::new));
        return analyzers;
    }

    /** A Lucene language analyzer taking (stop words, words not to stem), as ES's own providers do. */
    private static AnalysisProvider<AnalyzerProvider<? extends Analyzer>> language(
        CharArraySet defaultStopWords,
        BiFunction<CharArraySet, CharArraySet, Analyzer> make
    ) {
        return (indexSettings, env, name, settings) -> {
            Analyzer analyzer = make.apply(
                Analysis.parseStopWords(env, settings, defaultStopWords),
                Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET)
            );
            return new AbstractIndexAnalyzerProvider<Analyzer>(name, settings) {
                @Override
                public Analyzer get() {
                    return analyzer;
                }
            };
        };
    }

    // ---- token filters and tokenizers -----------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        Map<String, AnalysisProvider<TokenFilterFactory>> filters = new TreeMap<>();
        filters.put("asciifolding", (indexSettings, env, name, settings) -> {
            boolean preserveOriginal = settings.getAsBoolean("preserve_original", false);
            return normalizing(name, settings, in -> new ASCIIFoldingFilter(in, preserveOriginal));
        });
        filters.put("german_normalization", (indexSettings, env, name, settings) -> normalizing(name, settings, GermanNormalizationFilter::new));
        filters.put("snowball", (indexSettings, env, name, settings) -> {
            // ES default: English; Lucene finds org.tartarus.snowball.ext.<Language>Stemmer by name
            String language = capitalize(settings.get("language", settings.get("name", "English")));
            checkSnowball(language);
            return filter(name, settings, in -> new SnowballFilter(in, language));
        });
        filters.put("stemmer", (indexSettings, env, name, settings) -> {
            String language = settings.get("language", settings.get("name", "porter")).toLowerCase(Locale.ROOT);
            return filter(name, settings, stemmer(language));
        });
        filters.put("stemmer_override", (indexSettings, env, name, settings) -> {
            StemmerOverrideMap overrides = stemmerOverrides(settings.getAsList("rules"));
            return filter(name, settings, in -> new StemmerOverrideFilter(in, overrides));
        });
        // as analysis-stempel: a StempelStemmer per stream (it keeps a buffer), over the shared read-only table
        filters.put("polish_stem", (indexSettings, env, name, settings) ->
            filter(name, settings, in -> new StempelFilter(in, new StempelStemmer(PolishAnalyzer.getDefaultTable()))));
        // as analysis-common's dictionary_decompounder: same parameters and defaults; a word list is required
        filters.put("dictionary_decompounder", AnalysisPlugin.requiresAnalysisSettings((indexSettings, env, name, settings) -> {
            CharArraySet words = Analysis.getWordSet(env, settings, "word_list");
            if (words == null) {
                throw new IllegalArgumentException("word_list must be provided for [" + name + "], either as a path to a file, or directly");
            }
            int minWord = settings.getAsInt("min_word_size", CompoundWordTokenFilterBase.DEFAULT_MIN_WORD_SIZE);
            int minSubword = settings.getAsInt("min_subword_size", CompoundWordTokenFilterBase.DEFAULT_MIN_SUBWORD_SIZE);
            int maxSubword = settings.getAsInt("max_subword_size", CompoundWordTokenFilterBase.DEFAULT_MAX_SUBWORD_SIZE);
            boolean onlyLongest = settings.getAsBoolean("only_longest_match", false);
            return filter(name, settings, in -> new DictionaryCompoundWordTokenFilter(in, words, minWord, minSubword, maxSubword, onlyLongest));
        }));
        filters.put("word_delimiter_graph", (indexSettings, env, name, settings) -> {
            int flags = wordDelimiterFlags(settings);
            return filter(name, settings, in -> new WordDelimiterGraphFilter(in, flags, null));
        });
        return filters;
    }

    // ---- char filters ----------------------------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<CharFilterFactory>> getCharFilters() {
        // requiresAnalysisSettings: ES must not build it with empty settings, as it does for filters that have defaults
        return Map.of("mapping", new AnalysisProvider<>() {
            @Override
            public CharFilterFactory get(IndexSettings indexSettings, Environment env, String name, Settings settings) {
                NormalizeCharMap map = charMap(Analysis.getWordList(env, settings, "mappings"));
                class Mapping extends AbstractCharFilterFactory implements NormalizingCharFilterFactory {
                    Mapping() {
                        super(name);
                    }

                    @Override
                    public Reader create(Reader in) {
                        return new MappingCharFilter(map, in);
                    }
                }
                return new Mapping();
            }

            @Override
            public boolean requiresAnalysisSettings() {
                return true;
            }
        });
    }

    private static final Pattern MAPPING_RULE = Pattern.compile("(.*)\\s*=>\\s*(.*)\\s*$");

    /** As ES's mapping char filter: one "from => to" per rule, sides trimmed, then unescaped. */
    private static NormalizeCharMap charMap(List<String> rules) {
        if (rules == null || rules.isEmpty()) {
            throw new IllegalArgumentException("mapping requires either `mappings` or `mappings_path` to be configured");
        }
        NormalizeCharMap.Builder builder = new NormalizeCharMap.Builder();
        for (String rule : rules) {
            Matcher m = MAPPING_RULE.matcher(rule);
            if (!m.find() || m.group(1).trim().isEmpty()) {
                throw new IllegalArgumentException("Invalid Mapping Rule : [" + rule + "]");
            }
            builder.add(unescape(m.group(1).trim()), unescape(m.group(2).trim()));
        }
        return builder.build();
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                out.append(c);
                continue;
            }
            char next = s.charAt(++i);
            switch (next) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    if (i + 5 > s.length()) {
                        throw new IllegalArgumentException("Invalid Mapping Rule : bad \\u escape in [" + s + "]");
                    }
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(next);
            }
        }
        return out.toString();
    }

    /** ES's stemmer filter: a few named algorithms, else the Snowball stemmer of that language. */
    private static Function<TokenStream, TokenStream> stemmer(String language) {
        switch (language) {
            case "english", "porter": return PorterStemFilter::new;
            case "light_english", "kstem": return KStemFilter::new;
            case "minimal_english": return EnglishMinimalStemFilter::new;
            case "possessive_english": return EnglishPossessiveFilter::new;
            case "porter2": return in -> new SnowballFilter(in, "English");
            case "light_german": return GermanLightStemFilter::new;
            case "minimal_german": return GermanMinimalStemFilter::new;
            case "light_french": return FrenchLightStemFilter::new;
            case "minimal_french": return FrenchMinimalStemFilter::new;
            case "light_spanish": return SpanishLightStemFilter::new;
            case "light_italian": return ItalianLightStemFilter::new;
            case "dutch_kp": return in -> new SnowballFilter(in, "Kp");
            default:
                // german, german2, french, dutch, spanish, italian, ...: Snowball, as in ES;
                // only the names ES's stemmer filter knows, so the dev node accepts no more than it
                if (!SNOWBALL_STEMMERS.contains(language)) {
                    throw new IllegalArgumentException("unknown stemmer language [" + language + "]");
                }
                String snowball = capitalize(language);
                checkSnowball(snowball);
                return in -> new SnowballFilter(in, snowball);
        }
    }

    /** The languages ES 8.14's stemmer filter maps to a Snowball stemmer. */
    private static final java.util.Set<String> SNOWBALL_STEMMERS = java.util.Set.of(
        "armenian", "basque", "catalan", "danish", "dutch", "estonian", "finnish", "french", "german",
        "german2", "hungarian", "irish", "italian", "lithuanian", "norwegian", "portuguese", "romanian",
        "russian", "spanish", "swedish", "turkish");

    /** ES's rule syntax: "busse, bussen => bus". Put the filter before the stemmer: it marks the words it stems. */
    private static StemmerOverrideMap stemmerOverrides(List<String> rules) {
        try {
            StemmerOverrideFilter.Builder builder = new StemmerOverrideFilter.Builder(false);
            for (String rule : rules) {
                String[] sides = rule.split("=>");
                if (sides.length != 2) {
                    throw new IllegalArgumentException("invalid stemmer_override rule [" + rule + "]");
                }
                for (String word : sides[0].split(",")) {
                    builder.add(word.trim(), sides[1].trim());
                }
            }
            return builder.build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int wordDelimiterFlags(Settings settings) {
        int flags = 0;
        flags |= flag(settings, "generate_word_parts", true, WordDelimiterGraphFilter.GENERATE_WORD_PARTS);
        flags |= flag(settings, "generate_number_parts", true, WordDelimiterGraphFilter.GENERATE_NUMBER_PARTS);
        flags |= flag(settings, "catenate_words", false, WordDelimiterGraphFilter.CATENATE_WORDS);
        flags |= flag(settings, "catenate_numbers", false, WordDelimiterGraphFilter.CATENATE_NUMBERS);
        flags |= flag(settings, "catenate_all", false, WordDelimiterGraphFilter.CATENATE_ALL);
        flags |= flag(settings, "split_on_case_change", true, WordDelimiterGraphFilter.SPLIT_ON_CASE_CHANGE);
        flags |= flag(settings, "preserve_original", false, WordDelimiterGraphFilter.PRESERVE_ORIGINAL);
        flags |= flag(settings, "split_on_numerics", true, WordDelimiterGraphFilter.SPLIT_ON_NUMERICS);
        flags |= flag(settings, "stem_english_possessive", true, WordDelimiterGraphFilter.STEM_ENGLISH_POSSESSIVE);
        return flags;
    }

    private static int flag(Settings settings, String key, boolean defaultValue, int bit) {
        return settings.getAsBoolean(key, defaultValue) ? bit : 0;
    }

    @Override
    public List<PreConfiguredTokenizer> getPreConfiguredTokenizers() {
        return List.of(
            PreConfiguredTokenizer.singleton("whitespace", WhitespaceTokenizer::new),
            PreConfiguredTokenizer.singleton("keyword", KeywordTokenizer::new)
        );
    }

    private static TokenFilterFactory filter(String name, Settings settings, Function<TokenStream, TokenStream> create) {
        return new AbstractTokenFilterFactory(name, settings) {
            @Override
            public TokenStream create(TokenStream in) {
                return create.apply(in);
            }
        };
    }

    /** A filter that also applies to normalizers and to wildcard/prefix query terms (as lowercase does). */
    private static TokenFilterFactory normalizing(String name, Settings settings, Function<TokenStream, TokenStream> create) {
        class Normalizing extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
            Normalizing() {
                super(name, settings);
            }

            @Override
            public TokenStream create(TokenStream in) {
                return create.apply(in);
            }
        }
        return new Normalizing();
    }

    /** Fail at index creation, not at the first indexed document, on a language Snowball lacks. */
    private static void checkSnowball(String language) {
        try {
            Class.forName("org.tartarus.snowball.ext." + language + "Stemmer", false, SnowballFilter.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("unknown stemmer language [" + language + "]");
        }
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    // ---- GET / (rest-root module) ---------------------------------------------------------------

    @Override
    public Collection<RestHandler> getRestHandlers(
        Settings settings,
        NamedWriteableRegistry namedWriteableRegistry,
        RestController restController,
        ClusterSettings clusterSettings,
        IndexScopedSettings indexScopedSettings,
        SettingsFilter settingsFilter,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<DiscoveryNodes> nodesInCluster,
        Predicate<NodeFeature> clusterSupportsFeature
    ) {
        return List.of(new BaseRestHandler() {
            @Override
            public String getName() {
                return "cityex_main_action";
            }

            @Override
            public List<Route> routes() {
                return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
            }

            @Override
            protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
                return channel -> {
                    Build build = Build.current();
                    XContentBuilder body = channel.newBuilder();
                    body.startObject()
                        .field("name", clusterService.localNode().getName())
                        .field("cluster_name", clusterService.getClusterName().value())
                        .field("cluster_uuid", clusterService.state().metadata().clusterUUID())
                        .startObject("version")
                        .field("number", build.qualifiedVersion())
                        .field("build_flavor", build.flavor())
                        .field("build_type", build.type().displayName())
                        .field("build_hash", build.hash())
                        .field("build_date", build.date())
                        .field("build_snapshot", build.isSnapshot())
                        .field("lucene_version", org.apache.lucene.util.Version.LATEST.toString())
                        .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
                        .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
                        .endObject()
                        .field("tagline", "You Know, for Search")
                        .endObject();
                    channel.sendResponse(new RestResponse(RestStatus.OK, body));
                };
            }
        });
    }
}
