import Testing
@testable import YardTracking
import YardCore

/// The error a parse throws, so tests can look at its message; nil if it did not throw.
private func failure(_ body: () throws -> some Any) -> YardError? {
    do {
        _ = try body()
        return nil
    } catch let error as YardError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

private func runFilterMessage(_ filter: String) -> String? {
    failure { try SearchGrammar.parseRunFilter(filter) }?.message
}

private func clause(
    _ entity: SearchEntity, _ key: String, _ comparator: SearchComparator, _ value: SearchValue
) -> SearchClause {
    SearchClause(entity: entity, key: key, comparator: comparator, value: value)
}

@Suite struct SearchGrammarRunFilterTests {
    @Test func emptyFilterMeansNoClauses() throws {
        #expect(try SearchGrammar.parseRunFilter(nil) == [])
        #expect(try SearchGrammar.parseRunFilter("") == [])
        #expect(try SearchGrammar.parseRunFilter("  \t\n ") == [])
    }

    @Test func andJoinsClausesCaseInsensitively() throws {
        let parsed = try SearchGrammar.parseRunFilter(
            "metrics.loss < 0.5 AND params.alpha = '0.1' and tags.team != \"core\" AnD status = 'FINISHED'")
        #expect(parsed == [
            clause(.metric, "loss", .less, .number(0.5)),
            clause(.param, "alpha", .equal, .string("0.1")),
            clause(.tag, "team", .notEqual, .string("core")),
            clause(.attribute, "status", .equal, .string("FINISHED")),
        ])
    }

    @Test func spacesAroundOperatorsAreOptional() throws {
        #expect(try SearchGrammar.parseRunFilter("metrics.a>=1 AND params.b='c'") == [
            clause(.metric, "a", .greaterOrEqual, .number(1)),
            clause(.param, "b", .equal, .string("c")),
        ])
    }

    @Test func entityPrefixSpellings() throws {
        for prefix in ["metric", "metrics"] {
            #expect(try SearchGrammar.parseRunFilter("\(prefix).m = 1").first?.entity == .metric)
        }
        for prefix in ["param", "params", "parameter", "parameters"] {
            #expect(try SearchGrammar.parseRunFilter("\(prefix).p = 'x'").first?.entity == .param)
        }
        for prefix in ["tag", "tags"] {
            #expect(try SearchGrammar.parseRunFilter("\(prefix).t = 'x'").first?.entity == .tag)
        }
        for prefix in ["attribute", "attributes", "attr", "run"] {
            #expect(try SearchGrammar.parseRunFilter("\(prefix).status = 'x'").first == clause(.attribute, "status", .equal, .string("x")))
        }
        for prefix in ["dataset", "datasets"] {
            #expect(try SearchGrammar.parseRunFilter("\(prefix).name = 'x'").first?.entity == .dataset)
        }
    }

    @Test func metricComparatorsAndNumbers() throws {
        let cases: [(String, SearchComparator, Double)] = [
            ("metrics.m = 1", .equal, 1),
            ("metrics.m != -2", .notEqual, -2),
            ("metrics.m < 0.5", .less, 0.5),
            ("metrics.m <= 1e3", .lessOrEqual, 1000),
            ("metrics.m > -1.5E-2", .greater, -0.015),
            ("metrics.m >= .25", .greaterOrEqual, 0.25),
        ]
        for (filter, comparator, number) in cases {
            #expect(try SearchGrammar.parseRunFilter(filter) == [clause(.metric, "m", comparator, .number(number))])
        }
    }

    @Test func metricRejectsQuotedValuesAndStringComparators() {
        #expect(runFilterMessage("metrics.m = '0.5'") == "Expected numeric value type for metric. Found '0.5'")
        #expect(runFilterMessage("metrics.m > 1.5abc") == "Expected numeric value type for metric. Found 1.5abc")
        #expect(runFilterMessage("metrics.m > nan")?.contains("Expected numeric value type") == true)
        #expect(runFilterMessage("metrics.m LIKE '1'")?.hasPrefix("Invalid comparator 'LIKE' for metric 'm'") == true)
        #expect(runFilterMessage("metrics.m IS NULL")?.hasPrefix("Invalid comparator 'IS NULL'") == true)
    }

    @Test func paramAndTagStringComparators() throws {
        #expect(try SearchGrammar.parseRunFilter("params.p LIKE 'a%' AND tags.t ILIKE \"B_\"") == [
            clause(.param, "p", .like, .string("a%")),
            clause(.tag, "t", .ilike, .string("B_")),
        ])
        #expect(try SearchGrammar.parseRunFilter("params.p = 'x OR y'") == [clause(.param, "p", .equal, .string("x OR y"))])
        #expect(runFilterMessage("params.p > 'x'")?.hasPrefix("Invalid comparator '>' for parameter 'p'") == true)
        #expect(runFilterMessage("tags.t IN ('x')")?.hasPrefix("Invalid comparator 'IN' for tag 't'") == true)
    }

    @Test func unquotedParamAndTagValuesUseMLflowMessage() throws {
        #expect(throws: YardError.invalid(
            "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.5"
        )) {
            try SearchGrammar.parseRunFilter("params.alpha = 0.5")
        }
        #expect(runFilterMessage("tags.flag = true") == "Expected a quoted string value for tag (e.g. 'my-value'). Got value true")
        #expect(failure { try SearchGrammar.parseRunFilter("params.alpha = 0.5") }?.code == .invalidParameterValue)
    }

    @Test func isNullAndIsNotNull() throws {
        #expect(try SearchGrammar.parseRunFilter("params.p IS NULL AND tags.t is not null") == [
            clause(.param, "p", .isNull, .none),
            clause(.tag, "t", .isNotNull, .none),
        ])
        #expect(runFilterMessage("params.p IS 'x'")?.hasPrefix("Expected NULL or NOT NULL after IS") == true)
    }

    @Test func quotedKeys() throws {
        #expect(try SearchGrammar.parseRunFilter("tags.`mlflow.runName` = 'foo'") == [
            clause(.tag, "mlflow.runName", .equal, .string("foo")),
        ])
        #expect(try SearchGrammar.parseRunFilter("metrics.\"my loss\" < 2") == [
            clause(.metric, "my loss", .less, .number(2)),
        ])
        #expect(try SearchGrammar.parseRunFilter("`params`.`a-b` = 'x'") == [clause(.param, "a-b", .equal, .string("x"))])
    }

    @Test func unquotedKeySplitsOnFirstDotOnly() throws {
        #expect(try SearchGrammar.parseRunFilter("params.a.b = 'x'") == [clause(.param, "a.b", .equal, .string("x"))])
        #expect(try SearchGrammar.parseRunFilter("tags.mlflow.user = 'me'") == [clause(.tag, "mlflow.user", .equal, .string("me"))])
    }

    @Test func orIsRejectedWithMLflowMessage() {
        let expected = YardError.invalid("Invalid clause(s) in filter string: 'OR'")
        #expect(throws: expected) { try SearchGrammar.parseRunFilter("metrics.a > 1 OR metrics.b > 2") }
        #expect(throws: expected) { try SearchGrammar.parseRunFilter("params.a = 'x' or params.b = 'y'") }
        // OR wins even over an invalid clause to its left, as MLflow checks structure first.
        #expect(throws: expected) { try SearchGrammar.parseRunFilter("bogus = 'x' OR params.b = 'y'") }
        #expect(throws: expected) { try SearchGrammar.parseExperimentFilter("name = 'a' OR name = 'b'") }
    }

    @Test func groupingParenthesesAreRejected() {
        #expect(runFilterMessage("(metrics.a > 1)")?.hasPrefix("Invalid clause(s) in filter string: '(metrics.a > 1)'") == true)
        #expect(runFilterMessage("params.a = 'x' AND (metrics.b > 1)")?.contains("Parentheses for grouping are not supported") == true)
    }

    @Test func stringAttributesAndAliases() throws {
        #expect(try SearchGrammar.parseRunFilter("attributes.run_name LIKE 'bo%' AND user_id ILIKE 'ME'") == [
            clause(.attribute, "run_name", .like, .string("bo%")),
            clause(.attribute, "user_id", .ilike, .string("ME")),
        ])
        for alias in ["`run name`", "`Run name`", "\"Run Name\"", "attributes.`Run name`"] {
            #expect(try SearchGrammar.parseRunFilter("\(alias) = 'x'") == [clause(.attribute, "run_name", .equal, .string("x"))])
        }
        #expect(try SearchGrammar.parseRunFilter("artifact_uri != 's3://b/x' AND lifecycle_stage = 'active'") == [
            clause(.attribute, "artifact_uri", .notEqual, .string("s3://b/x")),
            clause(.attribute, "lifecycle_stage", .equal, .string("active")),
        ])
        #expect(runFilterMessage("status = FINISHED")?.hasPrefix("Expected a quoted string value for attribute 'status'") == true)
    }

    @Test func numericAttributesAndCreatedAlias() throws {
        #expect(try SearchGrammar.parseRunFilter("created > 100 AND Created <= 200 AND end_time != 5") == [
            clause(.attribute, "start_time", .greater, .number(100)),
            clause(.attribute, "start_time", .lessOrEqual, .number(200)),
            clause(.attribute, "end_time", .notEqual, .number(5)),
        ])
        #expect(runFilterMessage("start_time > '5'") == "Expected numeric value type for numeric attribute: start_time. Found '5'")
        #expect(runFilterMessage("start_time LIKE '5'")?.hasPrefix("Invalid comparator 'LIKE' for attribute 'start_time'") == true)
    }

    @Test func runIdInTuple() throws {
        #expect(try SearchGrammar.parseRunFilter("attributes.run_id IN ('a1', \"b2\")") == [
            clause(.attribute, "run_id", .isIn, .list(["a1", "b2"])),
        ])
        #expect(try SearchGrammar.parseRunFilter("run_id not in ('a1')") == [clause(.attribute, "run_id", .notIn, .list(["a1"]))])
        #expect(runFilterMessage("run_id IN ()")?.contains("got empty list") == true)
        #expect(runFilterMessage("run_id IN ('a', 1)")?.contains("ill-formed list: ('a', 1)") == true)
        #expect(runFilterMessage("run_id IN 'a'")?.hasPrefix("Expected a parenthesised list") == true)
        #expect(runFilterMessage("status IN ('RUNNING')")?.hasPrefix("Invalid comparator 'IN' for attribute 'status'") == true)
    }

    @Test func unknownAttributeIsNamed() {
        let message = runFilterMessage("attributes.colour = 'red'")
        #expect(message?.hasPrefix("Invalid attribute key 'colour' specified. Valid keys are [") == true)
        #expect(message?.contains("'run_id'") == true)
        #expect(runFilterMessage("bogus.x = 'y'")?.hasPrefix("Invalid entity type 'bogus'") == true)
    }

    @Test func datasetClauses() throws {
        #expect(try SearchGrammar.parseRunFilter("dataset.name = 'iris' AND datasets.digest IN ('d1','d2') AND dataset.context LIKE 'tr%'") == [
            clause(.dataset, "name", .equal, .string("iris")),
            clause(.dataset, "digest", .isIn, .list(["d1", "d2"])),
            clause(.dataset, "context", .like, .string("tr%")),
        ])
        #expect(runFilterMessage("dataset.size = 'x'")?.hasPrefix("Invalid dataset key 'size' specified") == true)
        #expect(runFilterMessage("dataset.name = 3")?.hasPrefix("Expected a quoted string value for dataset 'name'") == true)
    }

    @Test func malformedFiltersNameTheProblem() {
        #expect(runFilterMessage("params.a = 'abc")?.hasPrefix("Unterminated quoted string 'abc") == true)
        #expect(runFilterMessage("tags.`abc = 'x'")?.hasPrefix("Unterminated quoted identifier `abc") == true)
        #expect(runFilterMessage("params.a =") == "Expected a value after '=', got end of input.")
        #expect(runFilterMessage("params.a")?.contains("after 'params.a', got end of input") == true)
        #expect(runFilterMessage("params.a = 'x' trailing junk")?.hasPrefix("Invalid clause(s) in filter string: 'trailing junk'") == true)
        #expect(runFilterMessage("params.a = 'x' AND") == "Expected a comparison such as metrics.loss < 0.5 after AND, got end of input.")
        #expect(runFilterMessage("params. = 'x'")?.hasPrefix("Invalid identifier 'params.'") == true)
        #expect(runFilterMessage("params.a NOT LIKE 'x'")?.hasPrefix("Expected IN after NOT") == true)
    }
}

@Suite struct SearchGrammarExperimentFilterTests {
    @Test func attributesAndTags() throws {
        #expect(try SearchGrammar.parseExperimentFilter(
            "name LIKE 'exp%' AND experiment_id IN ('1', '2') AND creation_time >= 10 AND last_update_time < 2e3 AND tags.`team.owner` IS NOT NULL"
        ) == [
            clause(.attribute, "name", .like, .string("exp%")),
            clause(.attribute, "experiment_id", .isIn, .list(["1", "2"])),
            clause(.attribute, "creation_time", .greaterOrEqual, .number(10)),
            clause(.attribute, "last_update_time", .less, .number(2000)),
            clause(.tag, "team.owner", .isNotNull, .none),
        ])
        #expect(try SearchGrammar.parseExperimentFilter("attribute.experiment_id != '3' AND tag.k ILIKE 'v'") == [
            clause(.attribute, "experiment_id", .notEqual, .string("3")),
            clause(.tag, "k", .ilike, .string("v")),
        ])
    }

    @Test func rejectsRunOnlyColumns() {
        let message = { (filter: String) in failure { try SearchGrammar.parseExperimentFilter(filter) }?.message }
        #expect(message("metrics.a > 1")?.hasPrefix("Invalid entity type 'metrics'") == true)
        #expect(message("status = 'x'")?.hasPrefix("Invalid attribute key 'status' specified") == true)
        #expect(message("name IN ('a')")?.hasPrefix("Invalid comparator 'IN' for attribute 'name'") == true)
        #expect(message("creation_time > 'x'")?.hasPrefix("Expected numeric value type") == true)
    }
}

@Suite struct SearchGrammarOrderByTests {
    @Test func directionsAndQuotedKeys() throws {
        #expect(try SearchGrammar.parseRunOrderBy([
            "metrics.loss DESC", "params.alpha asc", "tags.`mlflow.runName` Desc", "metrics.\"my loss\"", "start_time",
        ]) == [
            SearchOrder(entity: .metric, key: "loss", ascending: false),
            SearchOrder(entity: .param, key: "alpha", ascending: true),
            SearchOrder(entity: .tag, key: "mlflow.runName", ascending: false),
            SearchOrder(entity: .metric, key: "my loss", ascending: true),
            SearchOrder(entity: .attribute, key: "start_time", ascending: true),
        ])
    }

    @Test func runAttributes() throws {
        #expect(try SearchGrammar.parseRunOrderBy(["attributes.created DESC", "  run_name  ASC "]) == [
            SearchOrder(entity: .attribute, key: "start_time", ascending: false),
            SearchOrder(entity: .attribute, key: "run_name", ascending: true),
        ])
        for key in ["end_time", "status", "user_id", "artifact_uri", "run_id"] {
            #expect(try SearchGrammar.parseRunOrderBy(["attribute.\(key)"]) == [SearchOrder(entity: .attribute, key: key, ascending: true)])
        }
    }

    @Test func invalidClausesAreNamed() {
        let message = { (item: String) in failure { try SearchGrammar.parseRunOrderBy([item]) }?.message }
        #expect(message("metrics.a sideways")?.hasPrefix("Invalid order_by clause 'metrics.a sideways'. Expected ASC or DESC") == true)
        #expect(message("metrics.a DESC extra")?.hasPrefix("Invalid order_by clause 'metrics.a DESC extra'") == true)
        #expect(message("colour")?.hasPrefix("Invalid order_by clause 'colour'. Invalid attribute key 'colour'") == true)
        #expect(message("lifecycle_stage")?.hasPrefix("Invalid order_by clause 'lifecycle_stage'") == true)
        #expect(message("dataset.name")?.hasPrefix("Invalid order_by clause 'dataset.name'") == true)
        #expect(message("")?.hasPrefix("Invalid order_by clause ''") == true)
        #expect(failure { try SearchGrammar.parseRunOrderBy(["metrics.a", "bogus"]) }?.code == .invalidParameterValue)
    }

    @Test func experimentKeys() throws {
        #expect(try SearchGrammar.parseExperimentOrderBy(["name", "creation_time DESC", "last_update_time asc", "attribute.experiment_id"]) == [
            SearchOrder(entity: .attribute, key: "name", ascending: true),
            SearchOrder(entity: .attribute, key: "creation_time", ascending: false),
            SearchOrder(entity: .attribute, key: "last_update_time", ascending: true),
            SearchOrder(entity: .attribute, key: "experiment_id", ascending: true),
        ])
        #expect(failure { try SearchGrammar.parseExperimentOrderBy(["tags.owner"]) }?.message.hasPrefix("Invalid order_by clause 'tags.owner'") == true)
        #expect(failure { try SearchGrammar.parseExperimentOrderBy(["start_time"]) }?.message.hasPrefix("Invalid order_by clause 'start_time'") == true)
    }
}

@Suite struct SearchGrammarLimitTests {
    @Test func clauseCountIsCappedWithAClearMessage() throws {
        let limit = Validation.maxFilterClauses
        let atLimit = (0..<limit).map { "metrics.m\($0) > 0" }.joined(separator: " AND ")
        #expect(try SearchGrammar.parseRunFilter(atLimit).count == limit)
        #expect(try SearchGrammar.parseExperimentFilter(atLimit.replacingOccurrences(of: "metrics.m", with: "tags.t")
            .replacingOccurrences(of: "> 0", with: "= 'x'")).count == limit)
        let over = atLimit + " AND metrics.extra > 0"
        #expect(runFilterMessage(over) == "Invalid filter string: it has more than \(limit) clauses. A filter may join at most \(limit) comparisons with AND.")
        #expect(failure { try SearchGrammar.parseModelVersionFilter((0...limit).map { "name = 'm\($0)'" }.joined(separator: " AND ")) } != nil)
    }

    @Test func inListValuesAreCappedPerListAndAltogether() throws {
        let limit = Validation.maxFilterListValues
        let values = (0..<limit).map { "'r\($0)'" }.joined(separator: ",")
        #expect(try SearchGrammar.parseRunFilter("run_id IN (\(values))").count == 1)
        #expect(runFilterMessage("run_id IN (\(values),'one-more')")?.hasPrefix("Invalid filter string: an IN list holds more than \(limit) values.") == true)
        let half = (0..<(limit / 2 + 1)).map { "'r\($0)'" }.joined(separator: ",")
        #expect(runFilterMessage("run_id IN (\(half)) AND run_id NOT IN (\(half))")?.hasPrefix("Invalid filter string: its IN lists hold \(limit + 2) values.") == true)
    }

    @Test func orderByItemsAreCapped() throws {
        let items = Array(repeating: "start_time DESC", count: Validation.maxFilterClauses)
        #expect(try SearchGrammar.parseRunOrderBy(items).count == items.count)
        #expect(failure { try SearchGrammar.parseRunOrderBy(items + ["end_time"]) }?.message
            == "Invalid order_by: at most \(Validation.maxFilterClauses) order_by items are allowed, got \(items.count + 1).")
        #expect(failure { try SearchGrammar.parseExperimentOrderBy(Array(repeating: "name", count: 500)) } != nil)
    }
}
